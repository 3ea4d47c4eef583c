import { SlipwayError } from '../../core/errors.ts';
import { readOptional } from '../../io/optional-read.ts';
import { parseSeverity, publish } from '../../release/publish.ts';
import { defineCommand, dryRun, feedDir, json } from '../command.ts';
import { checkLines, feedContext, versionArgument } from '../feed-common.ts';

/** slipway publish <version> --channel <channel> <files...> */
export default defineCommand({
  args: [
    { name: '<version>', description: 'the version, e.g. 1.2.3' },
    { name: '<files...>', description: 'the artifacts, named per platform (app-linux-amd64.tar.gz)' },
  ],
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'the channel (nightly, beta, stable…)', required: true },
    keys: {
      flags: '--keys <dir>',
      description: 'the key folder (snapshot, timestamp, release and the channel key)',
      default: 'keys',
    },
    feed: feedDir,
    commit: { flags: '--commit <sha>', description: 'the commit it was built from (default: HEAD)' },
    notes: { flags: '--notes <file>', description: 'release notes (Markdown), in the manifest and as notes.md' },
    security: {
      flags: '--security <severity>',
      description: 'a security release: low, medium, high or critical (applies outside maintenance windows)',
    },
    advisory: { flags: '--advisory <id>', description: 'the advisory it fixes, e.g. GHSA-xxxx or CVE-2026-1234' },
    breaking: {
      flags: '--breaking',
      description: 'mark it as breaking (default: from the commits, as the notes say)',
    },
    allow: {
      flags: '--allow <reason>',
      description: 'publish a hotfix that breaks the lane rule; the reason is recorded in the manifest',
    },
    minimumVersion: {
      flags: '--minimum-version <version>',
      description: 'the lowest installed version that may upgrade to it directly',
    },
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const [raw, ...files] = args;
    const f = await feedContext(ctx, flags);
    const version = versionArgument(raw, f.project);
    const security = parseSeverity(flags.security, flags.advisory);
    let notes: string | null = null;
    if (flags.notes !== undefined) {
      notes = await readOptional(ctx.path(flags.notes), 'utf8').catch((error: unknown) => {
        throw new SlipwayError(
          'USAGE',
          `cannot read --notes ${flags.notes}: ${(error as NodeJS.ErrnoException).code}`,
          {
            cause: error,
          },
        );
      });
      if (notes === null) throw new SlipwayError('USAGE', `cannot read --notes ${flags.notes}: ENOENT`);
    }
    const r = await publish(f, {
      version,
      channel: flags.channel,
      files: files.map((file) => ctx.path(file)),
      ...(flags.commit ? { commit: flags.commit } : {}),
      notes,
      // Left out, the markers come from the commits (a security: or breaking commit).
      ...(security !== null ? { security } : {}),
      ...(flags.breaking ? { breaking: true } : {}),
      allow: flags.allow ?? null,
      minimumVersion: flags.minimumVersion ?? null,
      dryRun: flags.dryRun === true,
      progress: (t) => ctx.out.progress(t),
    });
    if (r.dryRun) {
      ctx.out.result(
        [`would publish ${version} on ${r.channel}: ${files.join(', ')}`, ...checkLines(r.checks)].join('\n'),
        {
          ...r,
          files,
        },
      );
      return;
    }
    ctx.out.result(
      [
        `${r.outcome === 'published' ? 'published' : 'already published (same bytes)'} ${version} on ${r.channel}${r.hotfix ? ' (hotfix)' : ''}:`,
        ...r.targets.map((t) => `  ${t.path}  sha256 ${t.sha256}  ${t.length} bytes`),
        ...checkLines(r.checks),
        ...(r.review ? ['changes since the stable tag:', r.review] : []),
        ...(r.pruned.length > 0
          ? [`pruned ${r.pruned.length} old ${r.channel} release(s): ${r.pruned.join(', ')}`]
          : []),
        ...(r.releaseView
          ? [`SHA256SUMS, SHA256SUMS.sig${notes === null ? '' : ', notes.md'} in ${r.releaseView}`]
          : []),
      ].join('\n'),
      { ...r, changed: r.outcome === 'published' },
    );
  },
});
