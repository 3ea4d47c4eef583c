import semver from 'semver';

/**
 * The version lifecycle (support / end-of-life) table, from the released versions and the
 * policy: the newest line is current (full support); an older line gets security fixes until
 * `supportMonths` after the line that replaced it came out (at most `securityLines` older lines),
 * then reaches end of life; an explicit `eol` (a date, or the version whose release ends it)
 * overrides. No I/O and no clock: `today` comes in.
 */

export interface LifecyclePolicy {
  supportMonths: number;
  /** How many lines below the current one get security fixes; null: every line still in its months. */
  securityLines: number | null;
  /** Lines per major (v1.x) or per minor (v1.4.x); 0.x versions are lines per minor either way. */
  line: 'major' | 'minor';
  /** Per line ("1", "0.2", "1.4"): the end-of-life date (YYYY-MM-DD) or the version whose release ends it. */
  eol: Record<string, string>;
}

export interface Released {
  version: string;
  /** YYYY-MM-DD */
  date: string;
}

export type LineStatus = 'current' | 'security' | 'eol';

/** A line as endoflife.date describes a release cycle, and the status it has today. */
export interface Cycle {
  cycle: string;
  label: string;
  releaseDate: string;
  latest: string;
  latestReleaseDate: string;
  /** Full support until (a date), or true while current. */
  support: string | boolean;
  /** End of life on (a date), or false while not decided. */
  eol: string | boolean;
  /** When the end of life is the release of a version not out yet. */
  eolVersion: string | null;
  status: LineStatus;
}

export function cycleOf(version: string, line: 'major' | 'minor'): string {
  const v = semver.parse(version)!;
  return v.major === 0 || line === 'minor' ? `${v.major}.${v.minor}` : `${v.major}`;
}

const labelOf = (cycle: string): string => `v${cycle}.x`;

function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d.toISOString().slice(0, 10);
}

/** Newest line first. Prereleases are left out: a line starts with its first stable release. */
export function lifecycleTable(releases: readonly Released[], policy: LifecyclePolicy, today: string): Cycle[] {
  const stable = releases
    .filter((r) => semver.valid(r.version) !== null && semver.prerelease(r.version) === null)
    .sort((a, b) => semver.compare(a.version, b.version));
  const lines = new Map<string, Released[]>();
  for (const r of stable) {
    const c = cycleOf(r.version, policy.line);
    lines.set(c, [...(lines.get(c) ?? []), r]);
  }
  const cycles = [...lines.entries()].sort((a, b) => semver.compare(b[1][0]!.version, a[1][0]!.version));
  return cycles.map(([cycle, versions], i): Cycle => {
    const first = versions[0]!;
    const latest = versions.at(-1)!;
    // The first release of the next newer line ends full support; the months count from there.
    const successor = i > 0 ? cycles[i - 1]![1][0]! : null;
    // The release that pushed this line out of the security window (securityLines older lines).
    const pushedOut =
      policy.securityLines !== null && i > policy.securityLines ? cycles[i - policy.securityLines - 1]![1][0]! : null;
    let eol: string | boolean = false;
    let eolVersion: string | null = null;
    const given = policy.eol[cycle];
    if (given !== undefined) {
      if (/^\d{4}-\d{2}-\d{2}$/.test(given)) eol = given;
      else {
        const v = semver.clean(given.replace(/^v/, '')) ?? given;
        const ended = stable.find((r) => r.version === v);
        if (ended) eol = ended.date;
        else eolVersion = v;
      }
    } else if (successor !== null) {
      eol = addMonths(successor.date, policy.supportMonths);
      if (pushedOut !== null && pushedOut.date < eol) eol = pushedOut.date;
    }
    const status: LineStatus =
      typeof eol === 'string' && eol <= today ? 'eol' : successor === null ? 'current' : 'security';
    return {
      cycle,
      label: labelOf(cycle),
      releaseDate: first.date,
      latest: latest.version,
      latestReleaseDate: latest.date,
      support: successor === null ? true : successor.date,
      eol,
      eolVersion,
      status,
    };
  });
}

/** `lifecycle.eol` keys that name no line of the table (a typo, or a line not released yet), with what to write instead. */
export function unknownEolLines(table: readonly Cycle[], policy: LifecyclePolicy): string[] {
  const known = new Set(table.map((c) => c.cycle));
  return Object.keys(policy.eol)
    .filter((k) => !known.has(k))
    .map(
      (k) =>
        `lifecycle.eol names line "${k}", which has no stable release${table.length > 0 ? `; the lines are ${table.map((c) => `"${c.cycle}"`).join(', ')}` : ''} (keys are ${policy.line === 'major' ? 'majors, such as "1"' : 'minors, such as "1.4"'})`,
    );
}

/** The line a version belongs to in the table, and the line to move to when it is not current. */
export function lineOf(
  table: readonly Cycle[],
  version: string,
  line: 'major' | 'minor',
): { cycle: Cycle | null; moveTo: Cycle | null } {
  const c = table.find((x) => x.cycle === cycleOf(version, line)) ?? null;
  const current = table.find((x) => x.status === 'current') ?? null;
  return { cycle: c, moveTo: c !== null && c.status !== 'current' ? current : null };
}

/** The library strategy's table: | Version | Status | Support | End of Life |. */
export function lifecycleMarkdown(table: readonly Cycle[]): string {
  const rows = table.map((c) => {
    const status = c.status === 'current' ? 'Current' : c.status === 'security' ? 'Deprecated' : 'End of life';
    const support = c.status === 'current' ? 'Full' : c.status === 'security' ? 'Security only' : 'None';
    const eol = c.eolVersion !== null ? `v${c.eolVersion}` : c.eol === false ? 'TBD' : String(c.eol);
    return `| ${c.label} | ${status} | ${support} | ${eol} |`;
  });
  return [
    '| Version | Status | Support | End of Life |',
    '|---------|--------|---------|-------------|',
    ...rows,
    '',
  ].join('\n');
}
