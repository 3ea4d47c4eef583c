import { checkAlias, checkCvss, checkSeverity, rangesFromText } from '../../core/advisory/osv.ts';
import { SlipwayError } from '../../core/errors.ts';
import { createAdvisory } from '../../release/advisory.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { loadProject } from '../context.ts';
import { isDay } from '../output.ts';

/** slipway advisory new --severity high --summary "…" [--cvss …] [--cve …] [--disclosed …] [--affected …|--introduced <commit>] */
export default defineCommand({
  options: {
    severity: { flags: '--severity <severity>', description: 'low, medium, high or critical', required: true },
    summary: { flags: '--summary <text>', description: 'one line: what an attacker can do', required: true },
    details: { flags: '--details <text>', description: 'the longer description (Markdown)' },
    cvss: {
      flags: '--cvss <vector>',
      description: 'a CVSS 3.x or 4.0 vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    },
    cve: { flags: '--cve <id>', description: 'the CVE (or GHSA) id, recorded as an alias' },
    disclosed: {
      flags: '--disclosed <time>',
      description: 'when it becomes public (ISO 8601); until then it stays out of the feed and the notes',
    },
    affected: {
      flags: '--affected <range>',
      description: 'the affected versions by hand, e.g. "<1.4.3" or ">=1.2.0 <1.4.3 || >=2.0.0 <2.1.1"',
    },
    introduced: {
      flags: '--introduced <commit>',
      description: 'the commit that brought the flaw in: the ranges are computed from the releases',
    },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const { config, root } = await loadProject(ctx, flags);
    if (flags.affected !== undefined && flags.introduced !== undefined)
      throw new SlipwayError('USAGE', 'give --affected (ranges by hand) or --introduced (ranges computed), not both');
    let disclosed: string | null = null;
    if (flags.disclosed !== undefined) {
      const t = Date.parse(flags.disclosed);
      if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(flags.disclosed) || !isDay(flags.disclosed.slice(0, 10)))
        throw new SlipwayError(
          'USAGE',
          `--disclosed expects an ISO 8601 time such as 2026-12-04T09:00:00Z, got "${flags.disclosed}"`,
        );
      disclosed = new Date(t).toISOString();
    }
    if (flags.summary.trim() === '')
      throw new SlipwayError('USAGE', '--summary is empty; say in one line what an attacker can do');
    const r = await createAdvisory(
      root,
      config,
      {
        severity: checkSeverity(flags.severity),
        summary: flags.summary.trim(),
        details: flags.details ?? null,
        cvss: flags.cvss === undefined ? null : checkCvss(flags.cvss),
        aliases: flags.cve === undefined ? [] : [checkAlias(flags.cve)],
        disclosed,
        ranges: flags.affected === undefined ? null : rangesFromText(flags.affected),
        introducedIn: flags.introduced ?? null,
      },
      new Date(),
      flags.dryRun === true,
    );
    ctx.out.result(
      `${flags.dryRun ? 'would write' : 'wrote'} ${r.file}: ${r.advisory.id} (${r.advisory.database_specific.severity}) ${r.advisory.summary}\nprivate until slipway advisory publish ${r.advisory.id}; fix it with a commit carrying "Fixes-Advisory: ${r.advisory.id}"`,
      { file: r.file, advisory: r.advisory, dryRun: flags.dryRun === true },
    );
    return 0;
  },
});
