import { glob, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import semver from 'semver';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError, type ErrorCode } from '../core/errors.ts';
import type { ReleaseMarkers } from '../core/release/markers.ts';
import { globToRegExp } from '../core/release/promotion.ts';
import { channelOf, isNightly, parseVersionArgument } from '../core/version/tags.ts';
import { FeedSession } from '../feed/session.ts';
import { resolveCommit } from '../git/refs.ts';
import { commitSubject, isAncestor, openRepository, requireFullHistory, type RepositoryInfo } from '../git/repo.ts';
import {
  changedTrackedFiles,
  commitPaths,
  createTag,
  deleteTag,
  filesChanged,
  lsRemote,
  pushRelease,
  resetTo,
  signsTags,
  tagCommit,
  unstage,
} from '../git/write.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock } from '../io/lock-file.ts';
import { hashFile } from '../io/hash.ts';
import {
  planVersionWrite,
  readVersions,
  resolveVersionFiles,
  type VersionChange,
} from '../project/version-files/index.ts';
import { buildChangelog } from './changelog.ts';
import { checkArtifacts } from './check-artifact.ts';
import { judgePromotion } from './feed-context.ts';
import { computeNext } from './next.ts';
import { buildNotes } from './notes.ts';
import {
  announce,
  preflight,
  publishTarget,
  releaseFeed as feedContext,
  type PublishInput,
  type TargetOutcome,
} from './publishers.ts';
import { tagSigning } from '../core/publish/sign.ts';
import { JOURNAL, readJournal } from './journal.ts';
export { readJournal } from './journal.ts';
import { mergeUpgrading, upgradingHeading, type BreakingItem } from '../core/changelog/upgrading.ts';
import type { ParsedCommit } from '../core/commit/types.ts';
import { pythonPackages } from './publish-pypi.ts';
import { command, fill, placeholders, runStep, type PlannedCommand, type StepResult } from './run-step.ts';

/** The steps of a release, in order (the journal and --json name them so). */
export const RELEASE_STEPS = [
  'gates',
  'checklist',
  'version-files',
  'changelog',
  'commit',
  'tag',
  'build',
  'artifacts',
  'push',
  'publish',
  'announce',
  'post',
] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

/** Everything `slipway release` will do, decided before it does anything (the --dry-run and --json plan). */
export interface ReleasePlan {
  version: string;
  /** null for a nightly: nightly builds are not tagged. */
  tag: string | null;
  channel: string;
  branch: string | null;
  /** HEAD when the release starts. */
  head: string;
  previous: string | null;
  reason: string;
  markers: ReleaseMarkers;
  /** The rules the release passed, one line each. */
  checks: string[];
  gates: PlannedCommand[];
  checklist: { item: string; confirmed: boolean }[];
  versionFiles: { path: string; from: string[]; to: string }[];
  changelog: { file: string; changed: boolean } | null;
  /** The UPGRADING.md section a new major opens, when it has breaking changes. */
  upgrading: { file: string; heading: string; changed: boolean; items: BreakingItem[] } | null;
  commitMessage: string | null;
  tagMessage: string | null;
  sign: boolean;
  builds: PlannedCommand[];
  feed: { dir: string; keys: string } | null;
  push: string | null;
  post: PlannedCommand[];
  /** Each step and what it will do, or why it is skipped. */
  steps: { step: ReleaseStep; does: string; skipped: boolean }[];
}

export interface StepRecord {
  status: 'done' | 'failed' | 'skipped';
  at: string;
  detail: string;
}

/** `.slipway/release.json`: what a run has done, so that a failed one resumes without redoing it. */
export interface ReleaseJournal {
  schema: 1;
  version: string;
  tag: string | null;
  channel: string;
  branch: string | null;
  base: string;
  /** The commit released: the release commit, or `base` when nothing needed committing. */
  commit: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** The step running when the process stopped (a SIGKILL leaves it here). */
  running: ReleaseStep | null;
  steps: Partial<Record<ReleaseStep, StepRecord>>;
  /**
   * Files the release writes, as they were before (`text`) and as it wrote them (`wrote`): a run
   * stopped before the tag puts back only files that still hold what it wrote.
   */
  undo: { path: string; text: string | null; wrote?: string }[];
  /** The release commit's message, to know the commit as ours after a SIGKILL. */
  commitMessage?: string | null;
  /** Set by --abort: the release was given up; what it left is listed in `detail` of the step that stopped. */
  abandoned?: boolean;
  artifacts: { path: string; sha256: string; length: number }[];
  allow: string | null;
  /** When the build step began (ms): artifacts older than this are left by an earlier build. */
  builtFrom?: number;
}

export interface ReleaseOptions {
  root: string;
  repo: RepositoryInfo;
  config: ResolvedConfig;
  channel: string;
  releaseAs: string | null;
  dryRun: boolean;
  /** --yes: every checklist item confirmed. */
  yes: boolean;
  resume: boolean;
  /** --abort: give up an unfinished release. */
  abort?: boolean;
  /** --sign: sign the tag even when git is not set to. */
  sign: boolean;
  /**
   * --tag: release a tag that exists already, at HEAD (CI on a tag push): the version files must
   * agree with it; the commit, tag and push steps are skipped; gates, build, publish and post run.
   */
  fromTag?: string | null;
  allow: string | null;
  date: string;
  now: () => Date;
  env: NodeJS.ProcessEnv;
  /** Asks a person to confirm a checklist item; absent when there is no terminal. */
  confirm?: (item: string) => Promise<boolean>;
  /** A step starts or ends (progress on stderr). */
  onStep?: (step: ReleaseStep, state: 'start' | 'done' | 'skipped' | 'failed', detail: string) => void;
  /** The output of gates and builds, as it comes. */
  onOutput?: (chunk: Buffer) => void;
  onWarning?: (text: string) => void;
}

export interface ReleaseOutcome {
  outcome: 'released' | 'planned' | 'abandoned';
  /** For --abort: what the given-up release leaves standing. */
  stands?: string[];
  resumed: boolean;
  plan: ReleasePlan;
  journal: ReleaseJournal | null;
  gateResults: StepResult[];
  published: { version: string; channel: string; changed: boolean; artifacts: number } | null;
}

const GATE_RESULTS = join('.slipway', 'gates.json');

/** The branches a channel takes when release.branches does not say. */
export function allowedBranches(config: ResolvedConfig, channel: string): string[] {
  const given = config.release.branches[channel];
  if (given !== undefined) return given;
  if (channel !== config.stableChannel) return [config.feed.mainBranch];
  return [config.feed.mainBranch, config.feed.hotfixBranches, '*.x'];
}

/** The build steps with their matrix expanded: one command per os × arch, placeholders filled. */
function expandBuilds(config: ResolvedConfig, values: Record<string, string>): PlannedCommand[] {
  const builds: PlannedCommand[] = [];
  for (const b of config.release.build)
    for (const os of b.matrix?.os ?? [null])
      for (const arch of b.matrix?.arch ?? [null]) {
        const v = { ...values, ...(os ? { os } : {}), ...(arch ? { arch } : {}) };
        const label = [b.name ?? b.run.join(' '), os !== null || arch !== null ? `${os ?? '*'}/${arch ?? '*'}` : null]
          .filter((x) => x !== null)
          .join(' ');
        builds.push({
          ...command(label, b.run, v, b.env),
          ...(os ? { os } : {}),
          ...(arch ? { arch } : {}),
          artifacts: b.artifacts.map((a) => fill(a, v)),
        });
      }
  return builds;
}

async function writeJournal(root: string, journal: ReleaseJournal): Promise<void> {
  await mkdir(join(root, '.slipway'), { recursive: true });
  await writeFileAtomic(join(root, JOURNAL), `${JSON.stringify(journal, null, 2)}\n`);
}

/**
 * Decides the whole release and makes every check that can be made before anything is written:
 * the version (from `next`), the branch the channel allows, a clean tree, a free tag, the
 * version files and the changelog, the checklist, the feed's keys and the promotion rules.
 * The dry run, --json and the real run all start here.
 */
export async function planRelease(options: ReleaseOptions): Promise<ReleasePlan> {
  const { root, repo, config, channel } = options;
  requireFullHistory(repo);
  if (repo.head === null)
    throw new SlipwayError('EMPTY_REPOSITORY', `the repository at ${root} has no commits yet; commit something first`);
  const checks: string[] = [];
  const branchRules = allowedBranches(config, channel);
  if (repo.branch === null)
    throw new SlipwayError(
      'BRANCH_NOT_ALLOWED',
      `HEAD is detached; a ${channel} release is cut from a branch (${branchRules.join(', ')}): git switch ${config.feed.mainBranch}`,
    );
  if (!branchRules.some((b) => globToRegExp(b).test(repo.branch!)))
    throw new SlipwayError(
      'BRANCH_NOT_ALLOWED',
      `${channel} releases are cut from ${branchRules.join(', ')}, and this is ${repo.branch}; switch branch (git switch ${config.feed.mainBranch}) or list it in release.branches.${channel} in slipway.json`,
    );
  checks.push(`branch ${repo.branch} may release to ${channel}`);
  const dirty = (await changedTrackedFiles(root)).filter((p) => !p.startsWith('.slipway/'));
  if (dirty.length > 0)
    throw new SlipwayError(
      'DIRTY_TREE',
      `the working tree has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', …' : ''}); a release commits only its own files: commit or stash them (git stash), then run slipway release again`,
    );
  checks.push('working tree clean');

  const next = await computeNext({ cwd: root, repo, config, channel, releaseAs: options.releaseAs });
  if (next.next === null)
    throw new SlipwayError(
      'NOTHING_TO_RELEASE',
      `nothing to release on ${channel}: ${next.reason}; land a feat/fix commit, or give --release-as <version>`,
    );
  const version = next.next;
  const nightly = isNightly(version);
  const tag = nightly ? null : `${config.tagPrefix}${version}`;
  if (tag !== null) {
    const at = await tagCommit(root, tag);
    if (at !== null)
      throw new SlipwayError(
        'TAG_EXISTS',
        `tag ${tag} exists already (at ${at.slice(0, 7)}); a released version is never cut twice: run slipway next to see the next free version, or delete the tag if it was made by mistake (git tag -d ${tag})`,
      );
    checks.push(`tag ${tag} is free`);
  }
  if (next.unannouncedRemovals.length > 0)
    throw new SlipwayError(
      'DEPRECATION_POLICY',
      `${version} removes what was never deprecated ${config.deprecation.minMinors} minor release(s) before (the deprecation policy):\n${next.unannouncedRemovals.map((r) => `  ${r.sha}: ${r.text}`).join('\n')}\ndeprecate it first (a "Deprecated: <item>" footer in a release), remove it in a later minor; or set deprecation.minMinors`,
    );
  if (config.deprecation.minMinors > 0) checks.push('nothing is removed without an earlier deprecation');
  const values = placeholders(version, tag, channel);

  const gates = config.release.gates.map((g) => command(g.name, g.run, values, g.env));
  const confirmedList = config.release.confirmed;
  const checklist = config.release.checklist.map((item) => ({
    item,
    confirmed: options.yes || confirmedList === true || (Array.isArray(confirmedList) && confirmedList.includes(item)),
  }));
  if (Array.isArray(confirmedList))
    for (const c of confirmedList)
      if (!config.release.checklist.includes(c))
        throw new SlipwayError(
          'CONFIG_INVALID',
          `release.confirmed names "${c}", which is not an item of release.checklist (${config.release.checklist.map((i) => `"${i}"`).join(', ') || 'empty'}); fix the spelling`,
        );
  const unconfirmed = checklist.filter((c) => !c.confirmed);
  if (unconfirmed.length > 0 && options.confirm === undefined)
    throw new SlipwayError(
      'CHECKLIST_UNCONFIRMED',
      `${unconfirmed.length} checklist item(s) are not confirmed and there is no terminal to ask on: ${unconfirmed.map((c) => `"${c.item}"`).join(', ')}; confirm them with --yes, or list them in release.confirmed in slipway.json`,
    );

  let versionFiles: VersionChange[] = [];
  let changelog: ReleasePlan['changelog'] = null;
  let upgrading: ReleasePlan['upgrading'] = null;
  if (!nightly) {
    const files = await resolveVersionFiles(root, config);
    versionFiles = await planVersionWrite(root, files, version);
    const wantChangelog = semver.prerelease(version) === null || config.changelog.prereleases;
    if (wantChangelog) {
      const path = join(root, config.changelog.file);
      const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      const built = await buildChangelog({
        cwd: root,
        repo,
        config,
        existing,
        mode: 'update',
        release: version,
        date: options.date,
      });
      changelog = { file: config.changelog.file, changed: built.changed };
    }
    const heading = config.upgrading.file === null ? null : upgradingHeading(version, next.base);
    const items = breakingItems(next.selection.included);
    if (heading !== null && items.length > 0) {
      const existing = await readFile(join(root, config.upgrading.file!), 'utf8').catch(() => null);
      const merged = mergeUpgrading(existing, heading, items, config.upgrading.steps);
      upgrading = { file: config.upgrading.file!, heading, changed: merged.changed, items };
      for (const i of items)
        if (i.notes.length === 0)
          checks.push(`warning: "${i.subject}" is breaking and has no migration note (a BREAKING CHANGE: footer)`);
    }
  }

  const builds = expandBuilds(config, values);

  const targets = config.release.publish;
  const feed = targets.includes('feed') ? config.release.feed : null;
  checks.push(...preflight(config, options.env));
  if (targets.includes('npm')) {
    const npm = config.release.npm;
    if (npm.registry !== null && !options.env[npm.tokenEnv])
      throw new SlipwayError(
        'TOKEN_MISSING',
        `release.publish has "npm", and publishing to ${npm.registry} needs a token in $${npm.tokenEnv}; set it, or name another variable in release.npm.tokenEnv`,
      );
    for (const dir of npm.packages) {
      const pkg = await readFile(join(root, dir, 'package.json'), 'utf8').catch(() => null);
      if (pkg === null)
        throw new SlipwayError('NPM_PACKAGE', `release.npm.packages names ${dir}, which has no package.json`);
    }
    checks.push(`npm: ${npm.packages.join(', ')} to ${npm.registry ?? "npm's configured registry"}`);
  }
  if (feed !== null) {
    if (builds.every((b) => (b.artifacts ?? []).length === 0))
      throw new SlipwayError(
        'USAGE',
        'release.feed is set but no build step names artifacts; add "artifacts": ["dist/*.tar.gz"] to a step of release.build',
      );
    const ctx = await feedContext(root, config, options.env, options.now());
    await ctx.keys.online([channel]);
    checks.push(`feed keys for ${channel} are present`);
    // Judged on HEAD: the release commit adds only the version files and the changelog, which the rules allow.
    const session = await FeedSession.open(ctx.store);
    const verdict = await judgePromotion(ctx, session, {
      version,
      channel,
      commit: repo.head.sha,
      allow: options.allow,
    });
    checks.push(...verdict.checks);
    if ((await session.index(channel)).releases.some((r) => r.version === version))
      throw new SlipwayError(
        'NOTHING_TO_RELEASE',
        `${version} is in the feed's ${channel} channel already${nightly ? ' (a nightly of this commit was published)' : ''}; nothing to release`,
      );
  }

  const sign = options.sign || (tagSigning(config) ?? (await signsTags(root)));
  const push = config.release.push === false ? null : config.release.push;
  if (push !== null && tag !== null) {
    // What the push will meet, known before anything is written.
    const remote = await lsRemote(root, push, [`refs/tags/${tag}`, `refs/heads/${repo.branch}`]);
    if (remote.has(`refs/tags/${tag}`))
      throw new SlipwayError(
        'TAG_EXISTS',
        `${push} has a tag ${tag} already (at ${remote.get(`refs/tags/${tag}`)!.slice(0, 7)}); fetch it (git fetch --tags ${push}) and run slipway next for the next free version`,
      );
    const theirs = remote.get(`refs/heads/${repo.branch}`);
    if (theirs !== undefined && theirs !== repo.head.sha) {
      const known = (await resolveCommit(root, theirs)) !== null;
      if (!known || !(await isAncestor(root, theirs, repo.head.sha)))
        throw new SlipwayError(
          'REMOTE_AHEAD',
          `${push}'s ${repo.branch} is at ${theirs.slice(0, 7)}, which this clone ${known ? 'does not build on' : 'does not have'}; git pull --no-rebase ${push} ${repo.branch}, then run slipway release again`,
        );
    }
    checks.push(`${push} takes ${repo.branch} and ${tag}`);
  }
  const post = config.release.post.map((p) => command(p.name, p.run, values, p.env));
  const commitMessage = nightly ? null : fill(config.release.commitMessage, values);
  const tagMessage = tag === null ? null : fill(config.release.tagMessage, values);
  const willCommit =
    versionFiles.some((c) => c.from.some((f) => f !== c.to)) ||
    changelog?.changed === true ||
    upgrading?.changed === true;
  const steps: ReleasePlan['steps'] = [
    {
      step: 'gates',
      does: gates.map((g) => g.name).join(', ') || 'no gates (release.gates)',
      skipped: gates.length === 0,
    },
    {
      step: 'checklist',
      does:
        checklist.map((c) => `${c.confirmed ? '[x]' : '[ ]'} ${c.item}`).join('; ') ||
        'no checklist (release.checklist)',
      skipped: checklist.length === 0,
    },
    {
      step: 'version-files',
      does: nightly
        ? 'nightly builds leave the version files alone'
        : versionFiles.map((c) => `${c.path}: ${[...new Set(c.from)].join(', ')} -> ${c.to}`).join('; ') ||
          'no version files',
      skipped: nightly || versionFiles.length === 0,
    },
    {
      step: 'changelog',
      does:
        changelog === null
          ? nightly
            ? 'nightly builds get no changelog section'
            : 'prerelease sections are off (changelog.prereleases)'
          : `${changelog.file}: section ${version}${upgrading === null ? '' : `; ${upgrading.file}: ${upgrading.heading.replace(/^#+\s*/, '')}`}`,
      skipped: changelog === null,
    },
    {
      step: 'commit',
      does:
        commitMessage === null
          ? 'nothing to commit'
          : willCommit
            ? `"${commitMessage}"`
            : 'nothing changed: the tag goes on HEAD',
      skipped: commitMessage === null || !willCommit,
    },
    {
      step: 'tag',
      does: tag === null ? 'nightly builds are not tagged' : `annotated tag ${tag}${sign ? ', signed' : ''}`,
      skipped: tag === null,
    },
    {
      step: 'build',
      does: builds.map((b) => b.name).join(', ') || 'no build (release.build)',
      skipped: builds.length === 0,
    },
    {
      step: 'artifacts',
      does: builds.flatMap((b) => b.artifacts ?? []).join(', ') || 'no artifacts',
      skipped: builds.every((b) => (b.artifacts ?? []).length === 0),
    },
    {
      step: 'push',
      does:
        push === null
          ? 'not pushed (release.push)'
          : `${repo.branch}${tag === null ? '' : ` and ${tag}`} to ${push}, atomically`,
      skipped: push === null || (tag === null && !willCommit),
    },
    {
      step: 'publish',
      does:
        targets
          .map((t) =>
            t === 'feed'
              ? feed === null
                ? 'feed: none (release.feed)'
                : `${version} on ${channel} in ${feed.dir}`
              : t === 'npm'
                ? `npm (dist-tag ${config.release.npm.distTags[channel] ?? channel})`
                : t === 'pypi'
                  ? `pypi (${config.release.pypi.repository})`
                  : typeof t === 'string'
                    ? `${t} release ${tag ?? '(none for a nightly)'}`
                    : t.name,
          )
          .join('; ') || 'nowhere (release.publish)',
      skipped: targets.length === 0 || (targets.length === 1 && targets[0] === 'feed' && feed === null),
    },
    {
      step: 'announce',
      does:
        config.release.announce
          .filter((a) => a.channels === undefined || a.channels.includes(channel))
          .map((a) => `${a.format} webhook`)
          .join(', ') || 'no announcements (release.announce)',
      skipped: !config.release.announce.some((a) => a.channels === undefined || a.channels.includes(channel)),
    },
    { step: 'post', does: post.map((p) => p.name).join(', ') || 'no post-release steps', skipped: post.length === 0 },
  ];
  return {
    version,
    tag,
    channel,
    branch: repo.branch,
    head: repo.head.sha,
    previous: next.current,
    reason: next.reason,
    markers: next.markers,
    checks,
    gates,
    checklist,
    versionFiles: versionFiles.map(({ path, from, to }) => ({ path, from, to })),
    changelog,
    upgrading,
    commitMessage,
    tagMessage,
    sign,
    builds,
    feed,
    push,
    post,
    steps,
  };
}

/**
 * Puts back a release stopped before its tag, touching only what is provably its own: the
 * release commit (the recorded one, or after a SIGKILL an unrecorded commit on top of `base`
 * with the release's message that changes only the release's files), its tag when it points at
 * that commit, and files that still hold exactly what the release wrote. A commit or an edit a
 * person made since is never undone. Returns what it could not put back.
 */
async function undoBeforeTag(root: string, journal: ReleaseJournal): Promise<string[]> {
  const left: string[] = [];
  const head = await resolveCommit(root, 'HEAD');
  let ours = head !== null && head !== journal.base && head === journal.commit;
  if (!ours && head !== null && head !== journal.base && journal.commitMessage) {
    const parent = await resolveCommit(root, 'HEAD^');
    const paths = new Set(journal.undo.map((u) => u.path));
    ours =
      parent === journal.base &&
      (await commitSubject(root, head)) === journal.commitMessage.split('\n')[0] &&
      (await filesChanged(root, journal.base, head)).every((f) => paths.has(f));
  }
  if (journal.tag !== null && ours) {
    const at = await tagCommit(root, journal.tag);
    if (at === head) await deleteTag(root, journal.tag);
  }
  if (ours) await resetTo(root, journal.base);
  // A person committed on top (of the release commit, or of base): their history stands, and the
  // files are theirs now.
  if (!ours && head !== null && head !== journal.base) return [];
  const mine: string[] = [];
  for (const u of journal.undo) {
    const now = await readFile(join(root, u.path), 'utf8').catch(() => null);
    if (now === u.text) continue;
    if (u.wrote !== undefined && now === u.wrote) mine.push(u.path);
    else if (!ours || now !== null) left.push(u.path);
  }
  if (mine.length > 0) await unstage(root, mine);
  for (const u of journal.undo) {
    if (!mine.includes(u.path)) continue;
    if (u.text === null) await rm(join(root, u.path), { force: true });
    else await writeFileAtomic(join(root, u.path), u.text);
  }
  return left;
}

function stepFailed(step: ReleaseStep, error: unknown, fix: string): SlipwayError {
  const inner = error instanceof SlipwayError ? (error as SlipwayError) : null;
  const aborted = (error as { code?: string } | null)?.code === 'ABORT_ERR';
  const code: ErrorCode = inner?.code ?? (aborted ? 'CHECKLIST_UNCONFIRMED' : 'RELEASE_STEP_FAILED');
  return new SlipwayError(
    code,
    `release step "${step}" failed: ${(error as Error).message}${fix === '' ? '' : `; ${fix}`}`,
    { cause: error, ...(inner?.details ? { details: inner.details } : {}) },
  );
}

/**
 * `slipway release`: carries out the strategy in `slipway.json`'s release section. A run that
 * stops before the tag (a gate failed, SIGKILL) leaves the tree as it was; after the tag, the
 * journal lets `--resume` (or a plain rerun) finish without a second tag or a duplicate upload.
 */
export async function runRelease(options: ReleaseOptions): Promise<ReleaseOutcome> {
  const { root, config } = options;
  const stamp = (): string => options.now().toISOString();
  const say = options.onStep ?? (() => undefined);
  if (!options.dryRun) await mkdir(join(root, '.slipway'), { recursive: true });
  const unlock = options.dryRun
    ? () => Promise.resolve()
    : await acquireLock(join(root, '.slipway', 'release.lock'), {
        held: (pid) =>
          new SlipwayError(
            'RELEASE_BUSY',
            `another slipway release (pid ${pid ?? 'unknown'}) is running in ${root}; wait for it to finish`,
          ),
      });
  try {
    let journal = await readJournal(root);
    const postFailed = journal !== null && journal.steps.post?.status === 'failed';
    const unfinished = journal !== null && (journal.finishedAt === null || (options.resume && postFailed));
    const pastTag = unfinished && journal!.steps.tag !== undefined && journal!.steps.tag.status !== 'failed';
    if (options.abort) return await abandon(options, journal, unfinished);
    if (options.resume && !unfinished)
      throw new SlipwayError(
        'NO_RELEASE_TO_RESUME',
        `there is no unfinished release to resume (${journal === null ? `no ${JOURNAL}` : `${journal.version} ${journal.abandoned ? 'was given up' : 'finished'} at ${journal.finishedAt}`}); run slipway release`,
      );
    if (unfinished && !pastTag && !options.dryRun) {
      // Stopped before its tag: nothing of it stands. Put back what is provably its own.
      const left = await undoBeforeTag(root, journal!);
      journal!.finishedAt = stamp();
      journal!.abandoned = true;
      await writeJournal(root, journal!);
      if (left.length > 0)
        options.onWarning?.(
          `the release of ${journal!.version} that stopped at "${journal!.running ?? 'gates'}" wrote ${left.join(', ')}, which changed since; left as it is`,
        );
      journal = null;
      options = { ...options, repo: await openRepository(root) };
    }
    if (unfinished && pastTag) {
      const asked =
        (options.channel !== journal!.channel && options.channel !== config.stableChannel) ||
        options.releaseAs !== null;
      if (!options.resume && (asked || options.fromTag != null))
        throw new SlipwayError(
          'RELEASE_UNFINISHED',
          `the release of ${journal!.tag ?? journal!.version} on ${journal!.channel} stopped at step "${firstOpen(journal!) ?? 'post'}" after its tag; finish it first (slipway release --resume) or give it up (slipway release --abort)`,
        );
      if (options.dryRun)
        return {
          outcome: 'planned',
          resumed: true,
          plan: planResume(options, journal!),
          journal,
          gateResults: [],
          published: null,
        };
      return await finish(options, journal!, true);
    }

    if (options.fromTag != null) return await releaseTag(options, options.fromTag);

    const plan = await planRelease(options);
    if (options.dryRun) {
      const gateResults = await runGates(options, plan);
      return { outcome: 'planned', resumed: false, plan, journal: null, gateResults, published: null };
    }

    const undo: ReleaseJournal['undo'] = [];
    for (const c of plan.versionFiles) undo.push({ path: c.path, text: await readFile(join(root, c.path), 'utf8') });
    if (plan.changelog !== null)
      undo.push({
        path: plan.changelog.file,
        text: await readFile(join(root, plan.changelog.file), 'utf8').catch(() => null),
      });
    if (plan.upgrading !== null)
      undo.push({
        path: plan.upgrading.file,
        text: await readFile(join(root, plan.upgrading.file), 'utf8').catch(() => null),
      });
    journal = {
      schema: 1,
      version: plan.version,
      tag: plan.tag,
      channel: plan.channel,
      branch: plan.branch,
      base: plan.head,
      commit: null,
      startedAt: stamp(),
      finishedAt: null,
      running: null,
      steps: {},
      undo,
      commitMessage: plan.commitMessage,
      artifacts: [],
      allow: options.allow,
    };
    const j = journal;
    const wrote = async (path: string, text: string): Promise<void> => {
      const entry = j.undo.find((u) => u.path === path);
      if (entry) entry.wrote = text;
      await writeJournal(root, j);
      await writeFileAtomic(join(root, path), text);
    };
    const { begin, record } = stepper(options, j);
    await writeJournal(root, j);

    let gateResults: StepResult[] = [];
    try {
      await begin('gates', plan.steps[0]!.does);
      gateResults = await runGates(options, plan);
      await record('gates', plan.gates.length === 0 ? 'skipped' : 'done', `${gateResults.length} gate(s) passed`);

      await begin('checklist', plan.steps[1]!.does);
      for (const c of plan.checklist) {
        if (c.confirmed) continue;
        if (!(await options.confirm!(c.item)))
          throw new SlipwayError(
            'CHECKLIST_UNCONFIRMED',
            `checklist item "${c.item}" was not confirmed; take care of it and run slipway release again`,
          );
        c.confirmed = true;
      }
      await record('checklist', plan.checklist.length === 0 ? 'skipped' : 'done', `${plan.checklist.length} confirmed`);

      // Version files and changelog, re-planned now (the gates ran in between) and written together.
      const writes: { path: string; text: string }[] = [];
      await begin('version-files', plan.steps[2]!.does);
      // The gates may take long: the release is of the commit and branch it planned, nothing else.
      const now = await openRepository(root);
      const touched = (await changedTrackedFiles(root)).filter((p) => !p.startsWith('.slipway/'));
      if (touched.length > 0)
        throw new SlipwayError(
          'DIRTY_TREE',
          `tracked files changed while the gates ran (${touched.join(', ')}); a release commits only its own writes: commit or stash them, then run slipway release again`,
        );
      if (now.head?.sha !== plan.head || now.branch !== plan.branch)
        throw new SlipwayError(
          'HEAD_MOVED',
          `HEAD moved while the gates ran (planned ${plan.head.slice(0, 7)} on ${plan.branch}, now ${now.head?.sha.slice(0, 7) ?? 'nothing'} on ${now.branch ?? 'a detached HEAD'}); nothing was written: run slipway release again to release what is there now`,
        );

      if (plan.tag !== null) {
        const changes = await planVersionWrite(root, await resolveVersionFiles(root, config), plan.version);
        for (const c of changes) if (c.from.some((f) => f !== c.to)) writes.push({ path: c.path, text: c.text });
      }
      for (const w of writes) await wrote(w.path, w.text);
      await record('version-files', writes.length === 0 ? 'skipped' : 'done', writes.map((w) => w.path).join(', '));
      crashAfter(options.env, 'version-files');

      await begin('changelog', plan.steps[3]!.does);
      if (plan.changelog !== null) {
        const path = join(root, plan.changelog.file);
        const existing = await readFile(path, 'utf8').catch(() => null);
        const built = await buildChangelog({
          cwd: root,
          repo: options.repo,
          config,
          existing,
          mode: 'update',
          release: plan.version,
          date: options.date,
        });
        if (built.changed) {
          await wrote(plan.changelog.file, built.text);
          writes.push({ path: plan.changelog.file, text: built.text });
        }
      }
      if (plan.upgrading !== null) {
        const existing = await readFile(join(root, plan.upgrading.file), 'utf8').catch(() => null);
        const merged = mergeUpgrading(existing, plan.upgrading.heading, plan.upgrading.items, config.upgrading.steps);
        if (merged.changed) {
          await wrote(plan.upgrading.file, merged.text);
          writes.push({ path: plan.upgrading.file, text: merged.text });
        }
      }
      await record(
        'changelog',
        plan.changelog === null && plan.upgrading === null ? 'skipped' : 'done',
        [plan.changelog?.file, plan.upgrading?.file].filter((f) => f !== undefined).join(', '),
      );

      await begin('commit', plan.steps[4]!.does);
      if (plan.tag !== null) {
        const stray = (await changedTrackedFiles(root)).filter(
          (p) => !p.startsWith('.slipway/') && !writes.some((w) => w.path === p),
        );
        if (stray.length > 0)
          throw new SlipwayError(
            'DIRTY_TREE',
            `files changed during the release that it did not write (${stray.join(', ')}): a gate changed tracked files; make the gate leave the tree alone`,
          );
      }
      if (writes.length > 0 && plan.commitMessage !== null) {
        j.commit = await commitPaths(
          root,
          writes.map((w) => w.path),
          plan.commitMessage,
        );
        await record('commit', 'done', `${j.commit.slice(0, 7)} ${plan.commitMessage}`);
      } else {
        j.commit = plan.head;
        await record('commit', 'skipped', 'nothing to commit');
      }
      crashAfter(options.env, 'commit');

      await begin('tag', plan.steps[5]!.does);
      if (plan.tag !== null) {
        const taken = await tagCommit(root, plan.tag);
        if (taken !== null)
          throw new SlipwayError(
            'TAG_EXISTS',
            `tag ${plan.tag} was made (at ${taken.slice(0, 7)}) while the release ran; it is left alone: check who made it, then run slipway release again`,
          );
        await createTag(root, plan.tag, j.commit, plan.tagMessage!, plan.sign);
        await record('tag', 'done', `${plan.tag} at ${j.commit.slice(0, 7)}`);
      } else await record('tag', 'skipped', 'nightly builds are not tagged');
    } catch (error) {
      // Before the tag nothing stands: the tree goes back to how it was.
      const step = j.running ?? 'gates';
      const left = await undoBeforeTag(root, j).catch(() => j.undo.map((u) => u.path));
      j.steps[step] = { status: 'failed', at: stamp(), detail: (error as Error).message };
      j.finishedAt = stamp();
      j.running = null;
      await writeJournal(root, j);
      say(step, 'failed', (error as Error).message);
      const differ = [
        ...new Set([...left, ...(await changedTrackedFiles(root)).filter((f) => !f.startsWith('.slipway/'))]),
      ];
      throw stepFailed(
        step,
        error,
        differ.length === 0
          ? 'nothing was committed or tagged, and the tree is as it was'
          : `nothing was committed or tagged; these files differ from HEAD and were left as they are: ${differ.join(', ')}`,
      );
    }
    const done = await finish(options, j, false, plan);
    return { ...done, plan, gateResults };
  } finally {
    await unlock();
  }
}

/** Marks a step begun and ended in the journal (written atomically each time) and tells the caller. */
function stepper(options: ReleaseOptions, journal: ReleaseJournal) {
  const say = options.onStep ?? (() => undefined);
  return {
    begin: async (step: ReleaseStep, detail: string): Promise<void> => {
      journal.running = step;
      await writeJournal(options.root, journal);
      say(step, 'start', detail);
      crashAfter(options.env, `${step}:start`);
    },
    record: async (step: ReleaseStep, status: StepRecord['status'], detail: string): Promise<void> => {
      journal.steps[step] = { status, at: options.now().toISOString(), detail };
      journal.running = null;
      await writeJournal(options.root, journal);
      say(step, status, detail);
    },
  };
}

/** The first step of a journal that is neither done nor skipped. */
function firstOpen(journal: ReleaseJournal): ReleaseStep | null {
  return (
    RELEASE_STEPS.find((s) => journal.steps[s]?.status !== 'done' && journal.steps[s]?.status !== 'skipped') ?? null
  );
}

/** --abort: gives up an unfinished release. Before its tag the tree is put back; after it, what stands is listed. */
async function abandon(
  options: ReleaseOptions,
  journal: ReleaseJournal | null,
  unfinished: boolean,
): Promise<ReleaseOutcome> {
  if (journal === null || !unfinished)
    throw new SlipwayError('NO_RELEASE_TO_RESUME', 'there is no unfinished release to give up');
  const stands: string[] = [];
  const pastTag = journal.steps.tag !== undefined && journal.steps.tag.status === 'done';
  if (!options.dryRun) {
    if (!pastTag) stands.push(...(await undoBeforeTag(options.root, journal)).map((p) => `${p} (changed since)`));
    journal.finishedAt = options.now().toISOString();
    journal.abandoned = true;
    await writeJournal(options.root, journal);
  }
  if (pastTag && journal.tag !== null) {
    stands.push(`tag ${journal.tag} (git tag -d ${journal.tag} if it was never pushed)`);
    if (journal.steps.commit?.status === 'done') stands.push(`release commit ${journal.commit?.slice(0, 7)}`);
  }
  if (journal.steps.publish?.status === 'done')
    stands.push(`${journal.version} in the feed (slipway yank ${journal.version})`);
  if (journal.steps.push?.status === 'done') stands.push(`the push to ${options.config.release.push}`);
  const plan = planResume(options, journal);
  return { outcome: 'abandoned', resumed: false, plan, journal, gateResults: [], published: null, stands };
}

/** With SLIPWAY_RELEASE_CRASH_AT=<point> the process dies there as a power cut would (the fault tests walk them). */
function crashAfter(env: NodeJS.ProcessEnv, point: string): void {
  if (env.SLIPWAY_RELEASE_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/** The failure of a strategy's command: its kind and name, how it ended, the command and its last lines. */
function commandFailed(code: ErrorCode, what: string, r: StepResult): SlipwayError {
  return new SlipwayError(
    code,
    `${what} failed (${r.signal ?? `exit ${r.status}`}): ${r.argv.join(' ')}${r.tail === '' ? '' : `\n${r.tail}`}`,
  );
}

/** Runs one of the strategy's commands in the repository, its output streamed; a non-zero exit throws `code`. */
async function runChecked(
  options: ReleaseOptions,
  cmd: PlannedCommand,
  code: ErrorCode,
  what: string,
): Promise<StepResult> {
  const r = await runStep({ ...cmd, cwd: options.root }, options.onOutput ?? (() => undefined));
  if (r.status !== 0) throw commandFailed(code, what, r);
  return r;
}

async function runGates(options: ReleaseOptions, plan: ReleasePlan): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const gate of plan.gates) {
    const r = await runStep({ ...gate, cwd: options.root }, options.onOutput ?? (() => undefined));
    results.push(r);
    if (!options.dryRun) await recordGate(options.root, r, options.now());
    if (r.status !== 0) throw commandFailed('GATE_FAILED', `gate "${gate.name}"`, r);
  }
  return results;
}

/** The last result of each gate, for `slipway checklist`. */
async function recordGate(root: string, r: StepResult, now: Date): Promise<void> {
  const path = join(root, GATE_RESULTS);
  const all = JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  all[r.name] = { status: r.status, at: now.toISOString(), ms: r.ms, argv: r.argv };
  await mkdir(join(root, '.slipway'), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(all, null, 2)}\n`);
}

export async function lastGateResults(root: string): Promise<Record<string, { status: number; at: string }>> {
  return JSON.parse(await readFile(join(root, GATE_RESULTS), 'utf8').catch(() => '{}')) as Record<
    string,
    { status: number; at: string }
  >;
}

/** The plan of a resumed release: what the journal holds, the rest planned from the config. */
function planResume(options: ReleaseOptions, journal: ReleaseJournal): ReleasePlan {
  const values = placeholders(journal.version, journal.tag, journal.channel);
  const { config } = options;
  const builds = expandBuilds(config, values);
  return {
    version: journal.version,
    tag: journal.tag,
    channel: journal.channel,
    branch: journal.branch,
    head: journal.base,
    previous: null,
    reason: `resuming the release of ${journal.version} started ${journal.startedAt}`,
    markers: { security: null, breaking: false, because: { security: [], breaking: [] } },
    checks: [],
    gates: [],
    checklist: [],
    versionFiles: [],
    changelog: null,
    upgrading: null,
    commitMessage: null,
    tagMessage: null,
    sign: false,
    builds,
    feed: config.release.feed,
    push: config.release.push === false ? null : config.release.push,
    post: config.release.post.map((p) => command(p.name, p.run, values, p.env)),
    steps: RELEASE_STEPS.map((step) => ({
      step,
      does: journal.steps[step]?.status === 'done' ? `done: ${journal.steps[step].detail}` : 'to do',
      skipped: journal.steps[step]?.status === 'done' || journal.steps[step]?.status === 'skipped',
    })),
  };
}

/** The steps after the tag, each skipped when the journal has it done. */
async function finish(
  options: ReleaseOptions,
  journal: ReleaseJournal,
  resumed: boolean,
  planned?: ReleasePlan,
): Promise<ReleaseOutcome> {
  const { root, config } = options;
  const stamp = (): string => options.now().toISOString();
  const plan = planned ?? planResume(options, journal);
  if (journal.tag !== null) {
    const at = await tagCommit(root, journal.tag);
    if (at === null)
      throw new SlipwayError(
        'RELEASE_UNFINISHED',
        `the journal says ${journal.tag} was tagged, but the tag is gone; recreate it (git tag -a ${journal.tag} ${journal.commit}) or delete ${JOURNAL} to start over`,
      );
    if (at !== journal.commit)
      throw new SlipwayError(
        'RELEASE_UNFINISHED',
        `${journal.tag} points at ${at.slice(0, 7)}, not the release commit ${journal.commit?.slice(0, 7)} the journal recorded; fix the tag or delete ${JOURNAL}`,
      );
  }
  const done = (s: ReleaseStep): boolean =>
    journal.steps[s]?.status === 'done' || journal.steps[s]?.status === 'skipped';
  const { begin, record } = stepper(options, journal);
  const attempt = async (step: ReleaseStep, fix: string, work: () => Promise<[StepRecord['status'], string]>) => {
    if (done(step)) return;
    await begin(step, plan.steps.find((s) => s.step === step)!.does);
    try {
      const [status, detail] = await work();
      await record(step, status, detail);
    } catch (error) {
      await record(step, 'failed', (error as Error).message);
      throw stepFailed(step, error, fix);
    }
  };
  const resumeHint = `${journal.tag ?? journal.version} stands; fix it and run slipway release --resume`;

  const files: string[] = [];
  await attempt('build', resumeHint, async () => {
    journal.builtFrom = Date.now();
    for (const b of plan.builds) await runChecked(options, b, 'BUILD_FAILED', `build "${b.name}"`);
    return plan.builds.length === 0 ? ['skipped', 'no build steps'] : ['done', `${plan.builds.length} build(s)`];
  });

  await attempt('artifacts', resumeHint, async () => {
    for (const b of plan.builds)
      for (const pattern of b.artifacts ?? []) {
        const found: string[] = [];
        const stale: string[] = [];
        for await (const f of glob(pattern, { cwd: root })) {
          // Only what this release's build wrote: a file left by an earlier build is not this release.
          const at = journal.builtFrom === undefined ? Infinity : (await stat(join(root, f))).mtimeMs;
          if (journal.builtFrom !== undefined && at < journal.builtFrom - 2000) stale.push(f);
          else found.push(join(root, f));
        }
        if (found.length === 0)
          throw new SlipwayError(
            'ARTIFACT_MISSING',
            `the artifact glob "${pattern}" of build "${b.name}" matched nothing${stale.length > 0 ? ` this build wrote (only older files: ${stale.slice(0, 3).join(', ')}; clean the output folder in the build)` : ''} in ${root}`,
          );
        for (const f of found.sort()) if (!files.includes(f)) files.push(f);
      }
    if (files.length === 0) return ['skipped', 'no artifacts'];
    const checked = await checkArtifacts(files, journal.version);
    // What the registries would refuse is refused here, before anything is pushed or uploaded.
    if (config.release.publish.includes('pypi')) await pythonPackages(files, journal.version);
    journal.artifacts = [];
    for (const f of files) {
      const h = await hashFile(f);
      journal.artifacts.push({ path: relative(root, f), sha256: h.sha256, length: h.length });
    }
    return ['done', checked.map((c) => `${c.checked.name} (${c.checked.kind}, ${c.checked.platform})`).join(', ')];
  });

  let published: ReleaseOutcome['published'] = null;
  // The tag reaches the remote before the release reaches the feed: an instance never installs a
  // release whose tag is not public.
  await attempt(
    'push',
    `${journal.tag ?? journal.version} stands locally; fix what the remote says (a moved branch: git pull --no-rebase, never a rebase, which would move the tagged commit), then slipway release --resume`,
    async () => {
      if (plan.push === null) return ['skipped', 'release.push is off'];
      if (journal.tag === null) return ['skipped', 'nothing to push for a nightly'];
      const now = await openRepository(root);
      if (now.branch !== journal.branch)
        throw new SlipwayError(
          'HEAD_MOVED',
          `the release was cut on ${journal.branch}, and HEAD is now on ${now.branch ?? 'a detached HEAD'}; git switch ${journal.branch} first`,
        );
      if (journal.commit !== null && now.head !== null && !(await isAncestor(root, journal.commit, now.head.sha)))
        throw new SlipwayError(
          'HEAD_MOVED',
          `${journal.branch} no longer holds the release commit ${journal.commit.slice(0, 7)} that ${journal.tag} points at (was it rebased or reset?); put it back (git reset --keep ${journal.tag}, then git pull --no-rebase) and run slipway release --resume`,
        );
      await pushRelease(root, plan.push, journal.branch, journal.tag);
      return ['done', `${journal.branch} and ${journal.tag} to ${plan.push}`];
    },
  );

  const outcomes: TargetOutcome[] = [];
  // Built once (the notes read the history): the publish and announce steps share it.
  let input: Promise<PublishInput> | null = null;
  const publishInput = (): Promise<PublishInput> => (input ??= buildPublishInput());
  const buildPublishInput = async (): Promise<PublishInput> => ({
    root,
    config,
    env: options.env,
    version: journal.version,
    tag: journal.tag,
    channel: journal.channel,
    commit: journal.commit,
    artifacts: journal.artifacts.map((a) => join(root, a.path)),
    notes: (await buildNotes({ cwd: root, config, version: journal.version, template: null, date: options.date }))
      .markdown,
    now: options.now(),
    allow: journal.allow,
    dryRun: false,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  await attempt('publish', resumeHint, async () => {
    const given = await publishInput();
    const skipped: string[] = [];
    for (const target of config.release.publish) {
      // "feed" is the default target: without release.feed there is no feed, and nothing to do.
      if (target === 'feed' && config.release.feed === null) {
        skipped.push('feed: none (release.feed)');
        continue;
      }
      const r = await publishTarget(target, given);
      outcomes.push(r);
      if (r.feed !== undefined)
        published = {
          version: r.feed.version,
          channel: r.feed.channel,
          changed: r.outcome === 'published',
          artifacts: r.feed.targets.length,
        };
    }
    return outcomes.length === 0
      ? ['skipped', skipped.join('; ') || 'no publish targets']
      : ['done', [...outcomes.map((o) => o.detail), ...skipped].join('; ')];
  });

  // Published, the release is done whatever the announcements and post steps say: their failure
  // is reported (exit 1, --resume retries it) and never blocks the next release; post steps run
  // even when an announcement failed.
  const announced: { failure: Error | null } = { failure: null };
  await attempt('announce', 'the release stands; fix the webhook and run slipway release --resume', async () => {
    const said = await announce(await publishInput(), outcomes);
    return said.length === 0 ? ['skipped', 'no announcements'] : ['done', said.join('; ')];
  }).catch((error: unknown) => {
    announced.failure = error as Error;
    journal.finishedAt = stamp();
  });

  await attempt('post', 'the release stands; fix the step and run slipway release --resume', async () => {
    // The release is done whatever the post steps say: a failure here never blocks the next one.
    journal.finishedAt = stamp();
    for (const p of plan.post) await runChecked(options, p, 'POST_STEP_FAILED', `post-release step "${p.name}"`);
    return plan.post.length === 0 ? ['skipped', 'none'] : ['done', plan.post.map((p) => p.name).join(', ')];
  });

  journal.finishedAt = stamp();
  await writeJournal(root, journal);
  if (announced.failure !== null) throw announced.failure;
  return { outcome: 'released', resumed, plan, journal, gateResults: [], published };
}

/** `slipway release --tag v1.2.0`: the tag exists (a person or another job pushed it); build and publish it. */
async function releaseTag(options: ReleaseOptions, tagName: string): Promise<ReleaseOutcome> {
  const { root, repo, config } = options;
  requireFullHistory(repo);
  const name = tagName.replace(/^refs\/tags\//, '');
  const version = parseVersionArgument(name, config.tagPrefix, '--tag');
  const tag = `${config.tagPrefix}${version}`;
  const at = await tagCommit(root, name);
  if (at === null)
    throw new SlipwayError(
      'NO_RELEASE',
      `there is no tag ${name} in ${root}; fetch it (git fetch --tags) or drop --tag`,
    );
  if (repo.head === null || at !== repo.head.sha)
    throw new SlipwayError(
      'USAGE',
      `${name} is at ${at.slice(0, 7)}, but HEAD is ${repo.head?.sha.slice(0, 7) ?? 'empty'}; check the tag out first (git checkout ${name})`,
    );
  const channel = options.channel === config.stableChannel ? channelOf(version, config.stableChannel) : options.channel;
  if (!config.channels.includes(channel))
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `${version} belongs to channel "${channel}", which is not one of ${config.channels.join(', ')}; pass --channel`,
    );
  const found = await readVersions(root, await resolveVersionFiles(root, config), version);
  const wrong = found.filter((f) => f.matches === false);
  if (wrong.length > 0)
    throw new SlipwayError(
      'VERSION_MISMATCH',
      `the version files disagree with ${name}: ${wrong.map((f) => `${f.path} says ${f.version}`).join(', ')}; the tag must be on the commit that sets the version (slipway bump ${version}, commit, tag again)`,
    );
  if (config.release.feed !== null) {
    const ctx = await feedContext(root, config, options.env, options.now());
    const session = await FeedSession.open(ctx.store);
    if ((await session.index(channel)).releases.some((r) => r.version === version))
      throw new SlipwayError(
        'NOTHING_TO_RELEASE',
        `${name} is in the feed's ${channel} channel already; nothing to release`,
      );
  }
  const values = placeholders(version, tag, channel);
  const stamp = options.now().toISOString();
  const skipped = (detail: string): StepRecord => ({ status: 'skipped', at: stamp, detail });
  const journal: ReleaseJournal = {
    schema: 1,
    version,
    tag,
    channel,
    branch: repo.branch,
    base: at,
    commit: at,
    startedAt: stamp,
    finishedAt: null,
    running: null,
    steps: {},
    undo: [],
    artifacts: [],
    allow: options.allow,
  };
  const plan: ReleasePlan = {
    ...planResume(options, journal),
    reason: `${name} exists at HEAD (released from the tag)`,
    checks: [`${name} is at HEAD`, `version files agree with ${name}${found.length === 0 ? ' (none)' : ''}`],
    gates: config.release.gates.map((g) => command(g.name, g.run, values, g.env)),
  };
  if (options.dryRun) {
    const gateResults = await runGates(options, plan);
    return { outcome: 'planned', resumed: false, plan, journal: null, gateResults, published: null };
  }
  const gateResults = await runGates(options, plan);
  Object.assign(journal, {
    steps: {
      gates: {
        status: gateResults.length === 0 ? 'skipped' : 'done',
        at: stamp,
        detail: `${gateResults.length} gate(s) passed`,
      },
      checklist: skipped('released from a tag'),
      'version-files': skipped(`they agree with ${name}`),
      changelog: skipped('released from a tag'),
      commit: skipped('released from a tag'),
      tag: skipped(`${name} exists`),
      push: skipped(`${name} came from the remote`),
    },
  });
  await writeJournal(root, journal);
  const done = await finish(options, journal, false, plan);
  return { ...done, plan, gateResults };
}

/** The breaking changes of a release's commits, with their BREAKING CHANGE notes. */
function breakingItems(commits: readonly ParsedCommit[]): BreakingItem[] {
  return commits
    .filter((c) => c.breaking)
    .reverse()
    .map((c) => ({ subject: c.subject, scope: c.scope, notes: c.breakingNotes }));
}
