import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import semver from 'semver';
import {
  openRange,
  rangesFromReleases,
  fixedVersions,
  isEmbargoed,
  nextAdvisoryId,
  type OsvAdvisory,
  type OsvEvent,
} from '../core/advisory/osv.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { SEVERITIES, type Severity } from '../core/feed/manifest.ts';
import { classifyTags } from '../core/version/tags.ts';
import { readCommits } from '../git/log.ts';
import { resolveCommit, tagsContaining } from '../git/refs.ts';
import { listTags } from '../git/tags.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { resolveVersionFiles } from '../project/version-files/index.ts';

/**
 * The security lane's advisories: OSV JSON files in the repository (security.advisories), their
 * ranges computed from the tags (introduced at the first release holding the vulnerable commit,
 * fixed at each release holding a commit with a `Fixes-Advisory: <id>` footer), kept private
 * until published and disclosed.
 */

export const FIXES_FOOTER = 'Fixes-Advisory';

const dirOf = (root: string, config: ResolvedConfig): string => join(root, config.security.advisories);

export function idPrefixOf(config: ResolvedConfig, root: string): string {
  if (config.security.idPrefix !== null) return config.security.idPrefix;
  const name = (config.name ?? basename(root))
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${name === '' ? 'PROJECT' : name}-SA`;
}

async function ecosystemOf(root: string, config: ResolvedConfig): Promise<string> {
  if (config.security.ecosystem !== null) return config.security.ecosystem;
  const files = await resolveVersionFiles(root, config).catch(() => []);
  const kinds = files.map((f) => basename(f.path));
  if (kinds.includes('package.json')) return 'npm';
  if (kinds.includes('pyproject.toml')) return 'PyPI';
  if (kinds.includes('Cargo.toml')) return 'crates.io';
  return 'GIT';
}

function parse(text: string, file: string): OsvAdvisory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SlipwayError('ADVISORY_INVALID', `${file} is not JSON: ${(error as Error).message}`);
  }
  const a = data as Partial<OsvAdvisory> | null;
  if (
    a === null ||
    typeof a !== 'object' ||
    typeof a.id !== 'string' ||
    typeof a.summary !== 'string' ||
    !Array.isArray(a.affected) ||
    typeof a.database_specific !== 'object'
  )
    throw new SlipwayError(
      'ADVISORY_INVALID',
      `${file} is not an advisory (expected OSV JSON with id, summary, affected and database_specific); slipway advisory new writes one`,
    );
  const adv = a as OsvAdvisory;
  const bad = (why: string): SlipwayError =>
    new SlipwayError(
      'ADVISORY_INVALID',
      `${file}: ${why}; fix it by hand, or write it again with slipway advisory new`,
    );
  if (!(SEVERITIES as readonly string[]).includes(adv.database_specific.severity))
    throw bad(
      `database_specific.severity is "${String(adv.database_specific.severity)}", expected one of ${SEVERITIES.join(', ')}`,
    );
  for (const key of ['disclosed', 'reported'] as const) {
    const t = adv.database_specific[key];
    if (t !== undefined && t !== null && (typeof t !== 'string' || Number.isNaN(Date.parse(t))))
      throw bad(`database_specific.${key} is "${String(t)}", expected an ISO 8601 time such as 2026-12-04T09:00:00Z`);
  }
  if (adv.published !== undefined && Number.isNaN(Date.parse(adv.published)))
    throw bad(`published is "${adv.published}", expected an ISO 8601 time`);
  for (const affected of adv.affected)
    for (const r of affected.ranges ?? [])
      for (const e of r.events ?? [])
        for (const [k, v] of Object.entries(e) as [string, unknown][])
          if (!(k === 'introduced' && v === '0') && (typeof v !== 'string' || semver.valid(v) === null))
            throw bad(`a range's "${k}" is "${String(v)}", expected a version such as 1.4.3`);
  return adv;
}

export async function loadAdvisories(root: string, config: ResolvedConfig): Promise<OsvAdvisory[]> {
  const dir = dirOf(root, config);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const out: OsvAdvisory[] = [];
  const fileOf = new Map<string, string>();
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    const file = join(config.security.advisories, n);
    const a = parse(await readFile(join(dir, n), 'utf8'), file);
    const other = fileOf.get(a.id);
    if (other !== undefined)
      throw new SlipwayError(
        'ADVISORY_INVALID',
        `${other} and ${file} are both advisory ${a.id}; keep one (an id names one advisory)`,
      );
    fileOf.set(a.id, file);
    out.push(a);
  }
  return out;
}

export async function loadAdvisory(root: string, config: ResolvedConfig, id: string): Promise<OsvAdvisory> {
  const all = await loadAdvisories(root, config);
  const a = all.find((x) => x.id === id || x.aliases?.includes(id));
  if (a === undefined)
    throw new SlipwayError(
      'ADVISORY_UNKNOWN',
      `no advisory ${id} in ${config.security.advisories}/ (it has ${all.map((x) => x.id).join(', ') || 'none'})`,
    );
  return a;
}

async function save(root: string, config: ResolvedConfig, a: OsvAdvisory): Promise<string> {
  const dir = dirOf(root, config);
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${a.id}.json`);
  await writeFileAtomic(file, `${JSON.stringify(a, null, 2)}\n`);
  return join(config.security.advisories, `${a.id}.json`);
}

/**
 * The commits with a `Fixes-Advisory:` line naming the advisory (any case, one id or a list), at
 * the start of a line of the message: a footer, also when `git cherry-pick -x` put its
 * "(cherry picked from …)" line after it; prose that mentions the footer does not count.
 */
async function fixingCommits(root: string, id: string): Promise<string[]> {
  const out: string[] = [];
  const line = new RegExp(`^${FIXES_FOOTER}:\\s*(.+)$`, 'gim');
  await readCommits(root, { revisions: ['--all', '-i', '-F', `--grep=${id}`] }, (raw) => {
    for (const m of raw.body.matchAll(line))
      if (m[1]!.split(/[\s,]+/).includes(id)) {
        out.push(raw.sha);
        return;
      }
  });
  return out;
}

/**
 * The ranges from the repository: every stable release that holds the flaw (all, when the
 * introducing commit is unknown) and none of the fixing commits is affected. What `advisory
 * list/show/publish` and `security status` read.
 */
export async function refreshRanges(root: string, config: ResolvedConfig, a: OsvAdvisory): Promise<OsvAdvisory> {
  if (a.database_specific.introducedIn === undefined) return a; // ranges given by hand
  const tags = classifyTags(await listTags(root), config.tagPrefix).releases.filter(
    (t) => semver.prerelease(t.version) === null,
  );
  const intro = a.database_specific.introducedIn;
  const withFlaw = intro === null ? null : new Set(await tagsContaining(root, intro));
  const withFix = new Set<string>();
  for (const c of await fixingCommits(root, a.id)) for (const t of await tagsContaining(root, c)) withFix.add(t);
  const nameOf = new Map(tags.map((t) => [t.version, t.name]));
  const ranges = rangesFromReleases(
    tags.map((t) => t.version),
    (v) => (withFlaw === null || withFlaw.has(nameOf.get(v)!)) && !withFix.has(nameOf.get(v)!),
  );
  return {
    ...a,
    affected: a.affected.map((x) => ({
      ...x,
      ranges: ranges.map((events) => ({ type: 'SEMVER' as const, events })),
    })),
  };
}

export interface NewAdvisory {
  severity: Severity;
  summary: string;
  details: string | null;
  cvss: { type: 'CVSS_V3' | 'CVSS_V4'; score: string } | null;
  aliases: string[];
  disclosed: string | null;
  /** Given ranges ("<1.4.3"), or null to compute them from `introducedIn` and the fixes. */
  ranges: OsvEvent[][] | null;
  introducedIn: string | null;
}

export async function createAdvisory(
  root: string,
  config: ResolvedConfig,
  input: NewAdvisory,
  now: Date,
  dryRun: boolean,
): Promise<{ advisory: OsvAdvisory; file: string }> {
  const existing = await loadAdvisories(root, config);
  for (const alias of input.aliases) {
    const dup = existing.find((a) => a.aliases?.includes(alias));
    if (dup)
      throw new SlipwayError(
        'USAGE',
        `${alias} is advisory ${dup.id} already; edit that one (slipway advisory show ${dup.id})`,
      );
  }
  let introducedIn: string | null = null;
  if (input.introducedIn !== null) {
    introducedIn = await resolveCommit(root, input.introducedIn);
    if (introducedIn === null)
      throw new SlipwayError('USAGE', `--introduced ${input.introducedIn} is not a commit of this repository`);
  }
  const id = nextAdvisoryId(
    idPrefixOf(config, root),
    now.getUTCFullYear(),
    existing.map((a) => a.id),
  );
  let advisory: OsvAdvisory = {
    schema_version: '1.6.0',
    id,
    modified: now.toISOString(),
    ...(input.aliases.length > 0 ? { aliases: input.aliases } : {}),
    summary: input.summary,
    details: input.details ?? input.summary,
    ...(input.cvss ? { severity: [input.cvss] } : {}),
    affected: [
      {
        package: { ecosystem: await ecosystemOf(root, config), name: config.name ?? basename(root) },
        ranges: (input.ranges ?? [[{ introduced: '0' }]]).map((events) => ({ type: 'SEMVER' as const, events })),
      },
    ],
    database_specific: {
      severity: input.severity,
      disclosed: input.disclosed,
      reported: now.toISOString(),
      ...(input.ranges === null ? { introducedIn } : {}),
    },
  };
  advisory = await refreshRanges(root, config, advisory);
  const file = dryRun ? join(config.security.advisories, `${id}.json`) : await save(root, config, advisory);
  return { advisory, file };
}

/** Makes an advisory public: published now, disclosed now unless a (past) disclosure time was set. */
export async function publishAdvisory(
  root: string,
  config: ResolvedConfig,
  id: string,
  now: Date,
  dryRun: boolean,
): Promise<{ advisory: OsvAdvisory; file: string; changed: boolean }> {
  const a = await refreshRanges(root, config, await loadAdvisory(root, config, id));
  const disclosed = a.database_specific.disclosed;
  if (disclosed !== null && Date.parse(disclosed) > now.getTime())
    throw new SlipwayError(
      'ADVISORY_EMBARGOED',
      `${a.id} is under embargo until ${disclosed}; it can be published from then (or change its disclosure time in ${config.security.advisories}/${a.id}.json)`,
    );
  if (openRange(a))
    throw new SlipwayError(
      'ADVISORY_UNFIXED',
      `${a.id} still affects the newest release${fixedVersions(a).length > 0 ? ` (fixed so far in ${fixedVersions(a).join(', ')})` : ''}: release the fix on the current line first (a commit with "${FIXES_FOOTER}: ${a.id}"), or publish it unfixed by giving its ranges by hand`,
    );
  if (a.published !== undefined && !isEmbargoed(a, now))
    return { advisory: a, file: join(config.security.advisories, `${a.id}.json`), changed: false };
  const out: OsvAdvisory = {
    ...a,
    published: now.toISOString(),
    modified: now.toISOString(),
    database_specific: { ...a.database_specific, disclosed: disclosed ?? now.toISOString() },
  };
  const file = dryRun ? join(config.security.advisories, `${a.id}.json`) : await save(root, config, out);
  return { advisory: out, file, changed: true };
}

export interface SlaRow {
  id: string;
  severity: Severity;
  summary: string;
  since: string;
  hours: number;
  fixed: string[];
  /** The newest release is still affected. */
  open: boolean;
  overdue: boolean;
  embargoed: boolean;
}

/** Advisories without a fixed release, and the hours since disclosure against security.slaHours. */
export async function securityStatus(root: string, config: ResolvedConfig, now: Date): Promise<SlaRow[]> {
  const rows: SlaRow[] = [];
  for (const raw of await loadAdvisories(root, config)) {
    const a = await refreshRanges(root, config, raw);
    const fixed = fixedVersions(a);
    // From when it was reported, or an earlier disclosure; an embargo (a future disclosure) does not delay it.
    const times = [a.database_specific.reported, a.database_specific.disclosed, a.modified].filter(
      (t): t is string => typeof t === 'string' && !Number.isNaN(Date.parse(t)) && Date.parse(t) <= now.getTime(),
    );
    const since = times.sort()[0] ?? a.modified;
    const open = openRange(a);
    const hours = Math.max(0, (now.getTime() - Date.parse(since)) / 3_600_000);
    rows.push({
      id: a.id,
      severity: a.database_specific.severity,
      summary: a.summary,
      since,
      hours: Math.round(hours * 10) / 10,
      fixed,
      open,
      overdue: open && hours > config.security.slaHours,
      embargoed: isEmbargoed(a, now),
    });
  }
  return rows;
}

/**
 * Every public advisory into the feed of release.feed, in each channel whose key is at hand
 * (an offline channel key leaves that channel to a run where it is).
 */
export async function advisoriesToFeed(
  root: string,
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ channels: string[]; changed: boolean }> {
  const now = new Date();
  const { releaseFeed } = await import('./publishers.ts');
  const { writeFeedAdvisories } = await import('./advisory-feed.ts');
  const ctx = await releaseFeed(root, config, env, now);
  const channels: Record<string, Awaited<ReturnType<typeof ctx.keys.load>>> = {};
  for (const c of config.channels) {
    const key = await ctx.keys.tryLoad(c);
    if (key !== null) channels[c] = key;
  }
  if (Object.keys(channels).length === 0)
    throw new SlipwayError(
      'KEY_MISSING',
      `no channel key (${config.channels.map((c) => `${c}.pem`).join(', ')}) in ${ctx.keys.dir}; the feed cannot carry the advisory`,
    );
  const keys = { snapshot: await ctx.keys.load('snapshot'), timestamp: await ctx.keys.load('timestamp'), channels };
  const all = await Promise.all((await loadAdvisories(root, config)).map((a) => refreshRanges(root, config, a)));
  return writeFeedAdvisories(
    ctx.store,
    keys,
    all.filter((a) => !isEmbargoed(a, now)),
    { now, expiry: config.feed.expiry },
  );
}
