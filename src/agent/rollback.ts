import { join } from 'node:path';
import semver from 'semver';
import { APP_MANIFEST } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { exists } from '../io/optional-read.ts';
import type { Instance } from './instance.ts';
import { expectedConfigVersion, expectedDbVersion } from './runtime.ts';
import { writeState, type Transaction } from './state.ts';
import type { ApplyResult } from './transaction.ts';
import { wayBack } from './way-back.ts';

// Called under the update lock (Instance.rollback takes it).

/** `slipway rollback [--version v]`: back to the previous kept version, or to the one named. */
export async function rollbackInstance(
  i: Instance,
  options: { version?: string; dryRun?: boolean },
): Promise<ApplyResult> {
  const started = performance.now();
  const state = await i.state();
  if (!state.current)
    throw new SlipwayError('NOT_INSTALLED', 'nothing is installed yet, so there is nothing to roll back');
  const current = state.current;
  const kept = state.kept.map((k) => k.version).join(', ');
  const older = state.kept.filter((k) => semver.lt(k.version, current));
  const target = options.version ? semver.valid(options.version.replace(/^v/, '')) : (older[0]?.version ?? null);
  if (options.version && target === null)
    throw new SlipwayError('INVALID_VERSION', `"${options.version}" is not a version; expected something like v0.4.1`);
  if (target === null)
    throw new SlipwayError(
      'NOTHING_TO_ROLL_BACK',
      `no version older than ${current} is kept (kept: ${kept}); raise update.keep to keep more`,
    );
  if (!state.kept.some((k) => k.version === target) || !(await exists(join(i.layout.release(target), APP_MANIFEST))))
    throw new SlipwayError('NOT_KEPT', `${target} is not kept on this instance (kept: ${kept})`);
  if (target === current) throw new SlipwayError('USAGE', `${target} is the running version already`);
  const newer = semver.gt(current, target) ? current : target;
  const files = await i.manifestOf(newer);
  const old = await i.manifestOf(target);
  const point: Transaction['restore'] = {
    version: target,
    db: (await expectedDbVersion(old.dir, old.manifest)).toString(),
    config: await expectedConfigVersion(old.dir, old.manifest),
  };
  if (options.dryRun)
    return {
      from: current,
      to: target,
      outcome: 'planned',
      reason: `would migrate the database down to ${point.db} with ${newer}'s files and switch to ${target} (dry run: nothing changed)`,
      ms: 0,
    };
  const txn: Transaction = {
    kind: 'rollback',
    from: current,
    to: target,
    step: 'begun',
    startedAt: i.clock.now().toISOString(),
    filesFrom: files.dir,
    restore: point,
  };
  state.txn = txn;
  await writeState(i.layout.stateFile, state);
  await i.log(`rolling back ${current} → ${target}`);
  const back = await wayBack(i, txn, 'rollback-');
  const health = back.health;
  const next = await i.state();
  next.txn = null;
  if (back.attention) {
    next.current = back.attention.running;
    next.attention = back.attention;
    await writeState(i.layout.stateFile, next);
    return {
      from: current,
      to: target,
      outcome: 'needs-attention',
      reason: `${back.attention.problem}; the instance runs ${back.attention.running ?? 'nothing'} (it matches the database's schema); to finish by hand: ${back.attention.fix.join('; ')}`,
      ...(health ? { health } : {}),
      ms: Math.round(performance.now() - started),
    };
  }
  next.current = target;
  next.attention = null;
  // The version rolled back to runs now: it leads the kept list, and the next update keeps it.
  const landed = next.kept.find((k) => k.version === target);
  if (landed) next.kept = [landed, ...next.kept.filter((k) => k.version !== target)];
  // A version rolled back from is held: the agent never applies it again by itself.
  if (semver.gt(current, target)) next.rejected[current] = `rolled back from by hand at ${i.clock.now().toISOString()}`;
  await writeState(i.layout.stateFile, next);
  i.crash('rollback-committed');
  const took = Math.round(performance.now() - started);
  await i.record({ event: 'rolled-back', from: current, to: target, ms: Math.round(took), reason: 'by hand' });
  await i.log(
    `rolled back to ${target} (${Math.round(took)} ms)${health && !health.healthy ? `; WARNING: ${target} is not healthy: ${health.last}` : ''}`,
  );
  return { from: current, to: target, outcome: 'rolled-back', ...(health ? { health } : {}), ms: took };
}
