import { publishAgent } from '../../release/publish-agent.ts';
import { refreshInstallScript } from '../../release/install-script.ts';
import { defineCommand, dryRun, feedDir, json, keysDir } from '../command.ts';
import { parseVersionArgument } from '../../core/version/tags.ts';
import { checkLines, feedContext } from '../feed-common.ts';

/** slipway feed publish-agent <version> <executables...> --channel <channel> */
export default defineCommand({
  args: [
    { name: '<version>', description: "Slipway's version the executables carry, e.g. 0.2.0" },
    {
      name: '<executables...>',
      description: 'dist/bin/slipway-linux-x64 and dist/bin/slipway-linux-arm64 (npm run build:binaries)',
    },
  ],
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'the channel whose agents follow it', required: true },
    keys: keysDir,
    feed: feedDir,
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const [raw, ...files] = args;
    const f = await feedContext(ctx, flags);
    // Slipway's own version, not the project's: the only prefix it may carry is a v.
    const version = parseVersionArgument(raw ?? '', 'v', "Slipway's version");
    const keys = await f.keys.online([flags.channel]);
    const r = await publishAgent(f.store, keys, {
      version,
      channel: flags.channel,
      files: files.map((file) => ctx.path(file)),
      now: f.now,
      expiry: f.config.feed.expiry,
      dryRun: flags.dryRun === true,
      progress: (t) => ctx.out.progress(t),
    });
    const installScript = r.outcome === 'published' ? await refreshInstallScript(f.store) : null;
    const verb = { planned: 'would publish', published: 'published', unchanged: 'already published' }[r.outcome];
    ctx.out.result(
      [
        `${verb} Slipway ${version} on ${flags.channel} for ${r.checks.length} platform(s)`,
        ...checkLines(r.checks),
        ...(r.dropped.length > 0 ? [`  dropped older executables: ${r.dropped.join(', ')}`] : []),
        ...(installScript ? [`  wrote ${installScript} again (it pins the new executables)`] : []),
      ].join('\n'),
      { ...r, installScript, dryRun: r.outcome === 'planned' },
    );
  },
});
