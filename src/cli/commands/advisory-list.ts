import { fixedVersions, isEmbargoed } from '../../core/advisory/osv.ts';
import { loadAdvisories, refreshRanges } from '../../release/advisory.ts';
import { defineCommand, json } from '../command.ts';
import { loadProject } from '../context.ts';

/** slipway advisory list */
export default defineCommand({
  options: { json },
  async run(ctx, flags) {
    const { config, root } = await loadProject(ctx, flags);
    const now = new Date();
    const all = await Promise.all((await loadAdvisories(root, config)).map((a) => refreshRanges(root, config, a)));
    const rows = all.map((a) => ({
      id: a.id,
      aliases: a.aliases ?? [],
      severity: a.database_specific.severity,
      summary: a.summary,
      fixed: fixedVersions(a),
      published: a.published ?? null,
      embargoed: isEmbargoed(a, now),
    }));
    ctx.out.result(
      rows
        .map(
          (r) =>
            `${r.id.padEnd(22)} ${r.severity.padEnd(8)} ${r.embargoed ? 'private ' : 'public  '} ${r.fixed.length > 0 ? `fixed in ${r.fixed.join(', ')}` : 'not fixed'}  ${r.summary}${r.aliases.length ? ` (${r.aliases.join(', ')})` : ''}`,
        )
        .join('\n') || `no advisories (${config.security.advisories}/)`,
      { advisories: rows },
    );
    return 0;
  },
});
