import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import { findRelease, selectUpdate, type Candidate } from '../core/feed/manifest.ts';
import { activeWindow, parseWindows } from '../core/schedule/window.ts';
import type { UpdateDecision } from '../core/update/decide.ts';
import { waitHealthy } from './health.ts';
import { preflightRelease } from './preflight.ts';
import type { FeedClient } from '../feed/client.ts';
import type { Instance, UpdateOptions } from './instance.ts';
import { writeState } from './state.ts';
import { INTERRUPTED } from './way-back.ts';
import { apply, type ApplyResult } from './transaction.ts';
import { startMigrationWorker } from '../migrate/bounded.ts';
import { isPostgresUrl } from '../migrate/runner.ts';

/** Holds a release that could not be staged or was refused by preflight: the agent never retries it by itself. */
async function hold(i: Instance, version: string, reason: string, recorded: boolean): Promise<void> {
  const s = await i.state();
  s.rejected[version] = reason;
  if (s.staged?.version === version) s.staged = null;
  await writeState(i.layout.stateFile, s);
  if (recorded) return; // stage() logged the ALERT and wrote the history entry itself
  await i.log(`ALERT: ${reason}`);
  await i.record({ event: 'rejected', from: s.current, to: version, reason });
}

/** Download, verify and unpack, then preflight: nothing running is touched until both pass. */
async function stageAndJudge(
  i: Instance,
  candidate: Candidate,
  client: FeedClient,
  progress?: (s: string) => void,
): ReturnType<Instance['stage']> {
  let staged;
  try {
    staged = await i.stage(candidate, client, progress);
  } catch (error) {
    await hold(i, candidate.version, (error as Error).message, true);
    throw error;
  }
  try {
    await preflightRelease(i, candidate.version);
  } catch (error) {
    await hold(i, candidate.version, (error as Error).message, false);
    throw error;
  }
  return staged;
}

// Called under the update lock (Instance.update / applyStagedIfDue take it).

/**
 * `slipway update [--version v]`: check, download, verify, preflight, stage, then apply — now, or
 * (with `respectWindow`) as the update decision says (core/update).
 */
export async function updateInstance(i: Instance, options: UpdateOptions): Promise<ApplyResult> {
  const started = performance.now();
  const ms = (): number => Math.round(performance.now() - started);
  const state = await i.state();
  const interrupted = Object.keys(state.rejected).filter((v) => state.rejected[v]!.startsWith(INTERRUPTED));
  if (options.retryInterrupted && interrupted.length > 0 && !options.dryRun) {
    for (const v of interrupted) delete state.rejected[v];
    await writeState(i.layout.stateFile, state);
    await i.log(`trying ${interrupted.join(', ')} again: held only because an earlier run was cut off`);
  }
  const client = i.feedClient();
  // An explicit --version may name any line; a check needs only the lines from the installed one up.
  const indexes = await i.indexes(client, options.version ? null : state.current);
  let candidate: Candidate | null;
  let decision: UpdateDecision | null = null;
  if (options.version) {
    candidate = findRelease(indexes, options.version);
    if (!candidate)
      throw new SlipwayError('NOT_PUBLISHED', `${options.version} is not on ${i.seen.join(' or ')} in the feed`);
    if (candidate.yanked)
      throw new SlipwayError('YANKED', `${candidate.version} was yanked: ${candidate.yanked.reason}`);
    if (state.current && semver.lte(candidate.version, state.current))
      throw new SlipwayError(
        'USAGE',
        `${candidate.version} is not newer than ${state.current}; use slipway rollback --version ${candidate.version} to go back`,
      );
  } else {
    const selection = selectUpdate(indexes, state.current);
    candidate = selection.target;
    decision = i.decide(state, selection, (await i.notices(client, state.current)).osv);
    // Held, or a new major awaiting the operator: nothing is applied by itself.
    if (
      (decision.action === 'hold' && !options.force) ||
      (decision.action === 'wait-for-approval' && options.respectWindow)
    )
      return {
        from: state.current,
        to: decision.target.version,
        outcome: 'up-to-date',
        reason: decision.reason,
        ms: ms(),
      };
  }
  if (!candidate) return { from: state.current, to: state.current ?? '', outcome: 'up-to-date', ms: ms() };
  if (state.current && candidate.minimumVersion && semver.lt(state.current, candidate.minimumVersion)) {
    throw new SlipwayError(
      'PREFLIGHT',
      `${candidate.version} needs ${candidate.minimumVersion} or newer installed first (this is ${state.current}); run slipway update without --version to take the stepping stone`,
    );
  }
  if (options.dryRun)
    return {
      from: state.current,
      to: candidate.version,
      outcome: 'planned',
      ms: ms(),
    };
  // SQLite migrations run in a child: started now, its start-up overlaps the download and preflight.
  const worker = isPostgresUrl(i.database()) ? undefined : startMigrationWorker();
  try {
    options.progress?.(`downloading and verifying ${candidate.version}`);
    const staged = await stageAndJudge(i, candidate, client, options.progress);
    // Preflight: the running version is healthy (unless forced).
    if (state.current && i.app.supervised && i.app.running() && !options.force) {
      const { manifest } = await i.manifestOf(state.current);
      const { health } = i.runtime(state.current, i.layout.current, manifest);
      const h = await waitHealthy({ ...health, successes: 1, timeout: '10s' });
      if (!h.healthy)
        throw new SlipwayError(
          'PREFLIGHT',
          `${state.current} is not healthy now (${h.last}); fix it first or pass --force`,
        );
    }
    if (options.respectWindow && decision?.action === 'stage') {
      const at = decision.applyAt?.toISOString() ?? null;
      state.staged = {
        version: candidate.version,
        channel: candidate.channel,
        security: decision.security,
        stagedAt: i.clock.now().toISOString(),
        applyAt: at,
        notes: staged.manifest.notes,
      };
      await writeState(i.layout.stateFile, state);
      await i.record({ event: 'staged', from: state.current, to: candidate.version, reason: decision.reason });
      await i.log(`staged ${candidate.version}; it applies at the next maintenance window, ${at}`);
      return { from: state.current, to: candidate.version, outcome: 'staged', applyAt: at, ms: ms() };
    }
    return await apply(i, candidate.version, staged.manifest, started, options.progress, worker);
  } finally {
    worker?.dispose();
  }
}

/** Applies the staged release when its window has opened (the agent's timer calls this). */
export async function applyStagedIfDue(i: Instance): Promise<ApplyResult | null> {
  const state = await i.state();
  if (!state.staged) return null;
  const windows = parseWindows(i.config.update['maintenance-window']);
  if (windows.length > 0 && !activeWindow(windows, i.clock.now(), i.serverZone)) return null;
  const version = state.staged.version;
  return i.exclusive(async () => {
    const client = i.feedClient();
    const candidate = findRelease(await i.indexes(client, (await i.state()).current), version);
    if (!candidate || candidate.yanked) {
      const s = await i.state();
      s.staged = null;
      await writeState(i.layout.stateFile, s);
      await i.log(
        `dropped staged ${version}: ${candidate?.yanked ? `yanked (${candidate.yanked.reason})` : 'no longer in the feed'}`,
      );
      return null;
    }
    const staged = await stageAndJudge(i, candidate, client);
    return apply(i, version, staged.manifest, performance.now());
  });
}
