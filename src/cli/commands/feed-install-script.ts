import { SlipwayError } from '../../core/errors.ts';
import { writeInstallScript } from '../../release/install-script.ts';
import { defineCommand, dryRun, feedDir, json } from '../command.ts';
import { feedStore } from '../feed-common.ts';

/** slipway feed install-script --url <public address>: install.sh pinned to the feed's root and executables. */
export default defineCommand({
  options: {
    feed: feedDir,
    url: { flags: '--url <url>', description: 'the public address of the feed' },
    app: { flags: '--app <name>', description: 'the application name (the default root /opt/<name> and system user)' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    if (flags.url === undefined || !/^https?:\/\//.test(flags.url))
      throw new SlipwayError(
        'USAGE',
        `pass --url with the feed's public address (https://…), got "${flags.url ?? 'nothing'}"`,
      );
    const store = await feedStore(ctx, flags.feed);
    const url = flags.url.replace(/\/+$/, '');
    const r = await writeInstallScript(store, { url, app: flags.app ?? 'app', dryRun: flags.dryRun === true });
    const data = { path: r.path, rootSha256: r.rootSha256, agents: r.agents };
    if (flags.dryRun) {
      ctx.out.result(r.script, { ...data, dryRun: true });
      return;
    }
    ctx.out.result(
      [
        `wrote ${r.path} (pins root sha256 ${r.rootSha256.slice(0, 16)}… and ${r.agents.length} executable(s): ${r.agents.map((a) => `${a.channel} ${a.arch} ${a.version}`).join(', ')})`,
        `  curl -fsSL ${url}/install.sh | bash -s -- --channel=stable`,
      ].join('\n'),
      data,
    );
  },
});
