import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { readOptional } from '../../io/optional-read.ts';
import { renderInstallScript } from '../../release/install-script.ts';
import { defineCommand, feedFolder, dryRun, json } from '../command.ts';

/** slipway feed install-script --url <public address>: install.sh pinned to the feed's first root. */
export default defineCommand({
  options: {
    feed: feedFolder,
    url: { flags: '--url <url>', description: 'the public address of the feed' },
    package: { flags: '--package <spec>', description: 'the npm package that provides slipway', default: 'slipway' },
    app: { flags: '--app <name>', description: 'the application name shown to the operator' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const dir = ctx.path(flags.feed);
    if (flags.url === undefined || !/^https?:\/\//.test(flags.url))
      throw new SlipwayError(
        'USAGE',
        `pass --url with the feed's public address (https://…), got "${flags.url ?? 'nothing'}"`,
      );
    const root = await readOptional(join(dir, 'metadata', '1.root.json'));
    if (root === null)
      throw new SlipwayError(
        'FEED_NOT_FOUND',
        `${dir}/metadata/1.root.json is missing: create the feed first (slipway feed init)`,
      );
    const rootSha256 = createHash('sha256').update(root).digest('hex');
    const url = flags.url.replace(/\/+$/, '');
    const script = renderInstallScript({ url, rootSha256, pkg: flags.package, app: flags.app ?? 'app' });
    const path = join(dir, 'install.sh');
    if (flags.dryRun) {
      ctx.out.result(script, { path, rootSha256, dryRun: true });
      return;
    }
    await writeFileAtomic(path, script);
    ctx.out.result(
      `wrote ${path} (pins root sha256 ${rootSha256.slice(0, 16)}…)\n  curl -fsSL ${url}/install.sh | bash -s -- --channel=beta`,
      { path, rootSha256 },
    );
  },
});
