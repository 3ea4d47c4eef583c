import semver from 'semver';
import { SlipwayError } from '../errors.ts';
import { SEVERITIES, type Severity } from '../feed/manifest.ts';

/**
 * Security advisories in the OSV format (ossf/osv-schema 1.6): what `osv-scanner` and the OSV
 * database read. Ranges are SEMVER events computed from the releases (introduced at the first
 * release that has the vulnerable commit, fixed at each release carrying the fix, one range per
 * line), or given as a semver range. No I/O and no clock.
 */

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
}

export interface OsvAdvisory {
  schema_version: string;
  id: string;
  modified: string;
  published?: string;
  aliases?: string[];
  summary: string;
  details: string;
  severity?: { type: 'CVSS_V3' | 'CVSS_V4'; score: string }[];
  affected: {
    package: { ecosystem: string; name: string };
    ranges: { type: 'SEMVER'; events: OsvEvent[] }[];
  }[];
  references?: { type: string; url: string }[];
  database_specific: {
    severity: Severity;
    /** When it becomes public; before then it stays out of the feed and the notes. */
    disclosed: string | null;
    /** The commit that brought the flaw in, when known (the range's introduced event is computed from it). */
    introducedIn?: string | null;
    /** When the advisory was opened (the fix SLA counts from it, or from an earlier disclosure). */
    reported?: string;
  };
}

const CVSS3 =
  /^CVSS:3\.[01]\/AV:[NALP]\/AC:[LH]\/PR:[NLH]\/UI:[NR]\/S:[UC]\/C:[NLH]\/I:[NLH]\/A:[NLH](\/[A-Za-z]+:[A-Za-z]+)*$/;
const CVSS4 = /^CVSS:4\.0(\/[A-Z]+:[A-Z]+){11,}$/;
const CVE = /^CVE-\d{4}-\d{4,}$/;
const GHSA = /^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/;

export function checkSeverity(text: string): Severity {
  const s = text.toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(s))
    throw new SlipwayError('USAGE', `--severity expects one of ${SEVERITIES.join(', ')}, got "${text}"`);
  return s as Severity;
}

export function checkCvss(vector: string): { type: 'CVSS_V3' | 'CVSS_V4'; score: string } {
  if (CVSS3.test(vector)) return { type: 'CVSS_V3', score: vector };
  if (CVSS4.test(vector)) return { type: 'CVSS_V4', score: vector };
  throw new SlipwayError(
    'USAGE',
    `--cvss "${vector}" is not a CVSS vector; expected e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (the calculator at first.org gives one)`,
  );
}

export function checkAlias(id: string): string {
  if (CVE.test(id) || GHSA.test(id)) return id;
  throw new SlipwayError('USAGE', `"${id}" is neither a CVE id (CVE-2026-12345) nor a GHSA id (GHSA-xxxx-xxxx-xxxx)`);
}

/**
 * Ranges from a semver range as people write them: "<1.4.3", ">=1.2.0 <1.4.3", "<=1.4.2",
 * "<1.4.3 || >=2.0.0 <2.1.1". Each alternative gives one OSV range; an inverted or overlapping
 * pair is refused.
 */
export function rangesFromText(text: string): OsvEvent[][] {
  const alternatives = text.split('||').map((a) => a.trim());
  const ranges: { lo: string; hi: string | null; events: OsvEvent[] }[] = [];
  for (const alt of alternatives) {
    const parts = alt.split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0)
      throw new SlipwayError('USAGE', `--affected "${text}" has an empty alternative around "||"; remove it`);
    const lower = parts.filter((p) => p.startsWith('>=')).length;
    const upper = parts.filter((p) => /^(<|<=)/.test(p)).length;
    if (lower > 1 || upper > 1)
      throw new SlipwayError(
        'USAGE',
        `--affected "${alt}" gives ${lower > 1 ? 'two lower' : 'two upper'} bounds; write one ">=" and one "<" (or "<=") per range`,
      );
    let introduced = '0';
    let end: OsvEvent | null = null;
    for (const p of parts) {
      const m = /^(>=|<=|<|=)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(p);
      if (m === null)
        throw new SlipwayError(
          'USAGE',
          `--affected "${text}": "${p}" is not a bound; write ranges such as "<1.4.3", ">=1.2.0 <1.4.3" or "<1.4.3 || >=2.0.0 <2.1.1"`,
        );
      const [, op, v] = m;
      if (op === '>=') introduced = v!;
      else if (op === '<') end = { fixed: v! };
      else if (op === '<=' || op === '=' || op === undefined) {
        if (op !== '<=') introduced = v!;
        end = { last_affected: v! };
      }
    }
    const hi = end?.fixed ?? end?.last_affected ?? null;
    if (hi !== null && introduced !== '0' && semver.gt(introduced, hi))
      throw new SlipwayError('USAGE', `--affected "${alt}" is inverted: it starts at ${introduced}, after ${hi}`);
    if (hi !== null && introduced !== '0' && end?.fixed !== undefined && semver.eq(introduced, hi))
      throw new SlipwayError('USAGE', `--affected "${alt}" is empty: it starts and is fixed at ${hi}`);
    ranges.push({ lo: introduced, hi, events: [{ introduced }, ...(end === null ? [] : [end])] });
  }
  const sorted = [...ranges].sort((a, b) => (a.lo === '0' ? -1 : b.lo === '0' ? 1 : semver.compare(a.lo, b.lo)));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.hi === null || (cur.lo !== '0' ? semver.lt(cur.lo, prev.hi) : true))
      throw new SlipwayError(
        'USAGE',
        `--affected "${text}": its ranges overlap (${prev.events.map(fmt).join(' ')} and ${cur.events.map(fmt).join(' ')})`,
      );
  }
  return sorted.map((r) => r.events);
}

const fmt = (e: OsvEvent): string =>
  e.introduced !== undefined ? `>=${e.introduced}` : e.fixed !== undefined ? `<${e.fixed}` : `<=${e.last_affected}`;

/**
 * Ranges computed from the releases themselves: a release is vulnerable when it holds the flaw
 * (all do when the introducing commit is unknown) and none of the fixes. Walking the releases in
 * version order, each run of vulnerable ones is a range, introduced at its first and fixed at the
 * next release that is not vulnerable; a run that reaches the newest release stays open. So a line
 * that never got the fix (main, when only 1.4.x was fixed) stays affected.
 */
export function rangesFromReleases(
  versions: readonly string[],
  vulnerable: (version: string) => boolean,
): OsvEvent[][] {
  const sorted = [...new Set(versions)].sort(semver.compare);
  const ranges: OsvEvent[][] = [];
  let open: string | null = null;
  for (const v of sorted) {
    if (vulnerable(v)) {
      open ??= v;
    } else if (open !== null) {
      ranges.push([{ introduced: open }, { fixed: v }]);
      open = null;
    }
  }
  if (open !== null) ranges.push([{ introduced: open }]);
  return ranges;
}

/** Whether the newest release is still affected (a range without an end): the advisory is not fixed. */
export function openRange(advisory: Pick<OsvAdvisory, 'affected'>): boolean {
  return advisory.affected.some((a) =>
    a.ranges.some((r) => !r.events.some((e) => e.fixed !== undefined || e.last_affected !== undefined)),
  );
}

/** Whether a version is inside the advisory's ranges (OSV SEMVER evaluation). */
export function isAffected(advisory: Pick<OsvAdvisory, 'affected'>, version: string): boolean {
  return advisory.affected.some((a) =>
    a.ranges.some((r) => {
      const intro = r.events.find((e) => e.introduced !== undefined)?.introduced ?? '0';
      const fixed = r.events.find((e) => e.fixed !== undefined)?.fixed;
      const last = r.events.find((e) => e.last_affected !== undefined)?.last_affected;
      if (intro !== '0' && semver.lt(version, intro)) return false;
      if (fixed !== undefined) return semver.lt(version, fixed);
      if (last !== undefined) return semver.lte(version, last);
      return true;
    }),
  );
}

/** The fixed versions an advisory names: where an affected instance should go. */
export function fixedVersions(advisory: Pick<OsvAdvisory, 'affected'>): string[] {
  return advisory.affected
    .flatMap((a) => a.ranges.flatMap((r) => r.events.map((e) => e.fixed)))
    .filter((v): v is string => v !== undefined)
    .sort(semver.compare);
}

/** Under embargo: not disclosed yet, or disclosed in the future. */
export function isEmbargoed(advisory: Pick<OsvAdvisory, 'published' | 'database_specific'>, now: Date): boolean {
  if (advisory.published === undefined) return true;
  const d = advisory.database_specific.disclosed;
  return d !== null && Date.parse(d) > now.getTime();
}

/** The next free id: <prefix>-<year>-<nnn>. */
export function nextAdvisoryId(prefix: string, year: number, existing: readonly string[]): string {
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${year}-(\\d+)$`);
  const taken = existing
    .map((id) => re.exec(id)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  return `${prefix}-${year}-${String((taken.length === 0 ? 0 : Math.max(...taken)) + 1).padStart(3, '0')}`;
}
