import { SlipwayError } from '../../core/errors.ts';
import { formatDuration } from '../../core/schedule/duration.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { describeApply } from '../instance-common.ts';
import { install } from '../../agent/install.ts';

/** slipway install: lay out an install root and install the newest release of a channel. */
export default defineCommand({
  options: {
    feed: {
      flags: '--feed <url>',
      description: "the feed's address, e.g. https://updates.example.com/feed",
      required: true,
    },
    channel: { flags: '-c, --channel <channel>', description: 'the channel to follow', default: 'stable' },
    root: { flags: '--root <dir>', description: 'the install root (default: $SLIPWAY_ROOT)' },
    trustedRoot: { flags: '--trusted-root <file>', description: "the feed's root.json, from the maintainer" },
    trustedRootSha256: {
      flags: '--trusted-root-sha256 <hex>',
      description: "or: the sha256 of the feed's metadata/1.root.json to pin",
    },
    version: { flags: '--version <version>', description: 'install this version instead of the newest' },
    port: { flags: '--port <port>', description: 'the port the app listens on ({port} / PORT)' },
    database: {
      flags: '--database <db>',
      description: "the app's database: a SQLite path or a postgres:// URL (default: <root>/data/app.db)",
    },
    agentArchive: {
      flags: '--agent-archive <file>',
      description:
        "Slipway's own executable as the feed ships it (install.sh passes it): verified, then kept in the root",
    },
    agentChannel: {
      flags: '--agent-channel <channel>',
      description: 'the channel that signs --agent-archive (default: --channel)',
    },
    service: {
      flags: '--service',
      description: 'write, enable and start a systemd unit for the agent (where systemd runs)',
    },
    user: { flags: '--user <name>', description: 'as root: the system user the agent runs as (created when missing)' },
    unitDir: { flags: '--unit-dir <dir>', description: 'where the unit goes (default /etc/systemd/system)' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const port = flags.port === undefined ? undefined : Number(flags.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535))
      throw new SlipwayError('USAGE', `--port expects a port number, got "${flags.port}"`);
    const given = flags.root ?? ctx.io.env.SLIPWAY_ROOT;
    if (!given) throw new SlipwayError('USAGE', 'pass --root <dir>: where the instance is installed (e.g. /opt/app)');
    const root = ctx.path(given);
    if (flags.dryRun) {
      ctx.out.result(`would install the newest ${flags.channel} release from ${flags.feed} into ${root}`, {
        outcome: 'planned',
        dryRun: true,
        root,
        feed: flags.feed,
        channel: flags.channel,
      });
      return;
    }
    const r = await install({
      root,
      feed: flags.feed,
      channel: flags.channel,
      env: ctx.io.env,
      ...(flags.trustedRoot ? { trustedRoot: ctx.path(flags.trustedRoot) } : {}),
      ...(flags.trustedRootSha256 ? { trustedRootSha256: flags.trustedRootSha256 } : {}),
      ...(flags.version ? { version: flags.version } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(flags.database ? { database: flags.database } : {}),
      ...(flags.agentArchive ? { agentArchive: ctx.path(flags.agentArchive) } : {}),
      ...(flags.agentChannel ? { agentChannel: flags.agentChannel } : {}),
      ...(flags.service ? { service: true } : {}),
      ...(flags.user ? { user: flags.user } : {}),
      ...(flags.unitDir ? { unitDir: ctx.path(flags.unitDir) } : {}),
      progress: (s) => ctx.out.progress(s),
      log: (l) => ctx.out.progress(l),
    });
    const lines = [
      r.outcome === 'updated'
        ? r.from === null
          ? `installed ${r.to} in ${root} (${formatDuration(r.ms)})`
          : `upgraded ${root} from ${r.from} to ${r.to} (${formatDuration(r.ms)})`
        : r.outcome === 'up-to-date' && r.from !== null
          ? `${root} runs ${r.from}, the newest of ${flags.channel}: nothing to upgrade`
          : describeApply(r),
    ];
    if (r.agent)
      lines.push(
        r.agent.linked
          ? `Slipway ${r.agent.version} is ${root}/bin/slipway`
          : `Slipway ${r.agent.version} is in ${r.agent.path}; the running agent moves to it by its self-update if it runs another version`,
      );
    if (r.user) lines.push(`the agent runs as ${r.user.name}${r.user.created ? ' (a new system user)' : ''}`);
    if (r.service?.started) lines.push(`service ${r.service.name} enabled and started (${r.service.unitFile})`);
    else if (r.agentPid) lines.push(`the agent (pid ${r.agentPid}) runs ${root} already`);
    else if (r.byHand !== '')
      lines.push(
        flags.service
          ? `systemd is not running here, so no service was set up; start the agent with:\n  ${r.byHand}`
          : `start the agent with: ${r.byHand}`,
      );
    ctx.out.result(lines.join('\n'), r);
    // Nothing installed (a release that failed here before is held): not a success.
    return r.outcome === 'rolled-back' || (r.outcome === 'up-to-date' && r.from === null) ? 1 : 0;
  },
});
