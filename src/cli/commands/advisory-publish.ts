import { fixedVersions } from '../../core/advisory/osv.ts';
import { advisoriesToFeed, publishAdvisory } from '../../release/advisory.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { loadProject } from '../context.ts';

/** slipway advisory publish <id> */
export default defineCommand({
  args: [{ name: '<id>', description: 'the advisory id, or its CVE' }],
  options: { dryRun, json },
  async run(ctx, flags, args) {
    const { config, root } = await loadProject(ctx, flags);
    const r = await publishAdvisory(root, config, args[0]!, new Date(), flags.dryRun === true);
    const feed = flags.dryRun || config.release.feed === null ? null : await advisoriesToFeed(root, config, ctx.io.env);
    const inFeed =
      feed === null ? '' : `\nthe feed's ${feed.channels.join(', ')} ${feed.changed ? 'carry' : 'carried'} it (signed)`;
    ctx.out.result(
      (r.changed
        ? `${flags.dryRun ? 'would publish' : 'published'} ${r.advisory.id} (${r.advisory.database_specific.severity}, fixed in ${fixedVersions(r.advisory).join(', ')}) in ${r.file}; the notes name it from now on`
        : `${r.advisory.id} is public already`) + inFeed,
      { ...r, dryRun: flags.dryRun === true, feed },
    );
    return 0;
  },
});
