import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { isSingleExecutable } from '../io/packaged.ts';
import { fileURLToPath } from 'node:url';
import { SlipwayError, isErrorCode } from '../core/errors.ts';
import type { RunOptions } from './runner.ts';

export interface BoundedStep {
  direction: 'up' | 'down';
  file: string;
  /** The migration's version, as a decimal string. */
  version: string;
}

/**
 * Runs a migrate command in a child process with a deadline. SQLite runs statements on the
 * calling thread, in native code, so a migration that never ends (a recursive query without a
 * limit) would freeze the agent with the app stopped; the child is killed instead, its open
 * transaction dies with its connection, and the caller's way back restores the snapshot.
 */
export function runMigrationsBounded(
  options: Omit<RunOptions, 'onStep' | 'driver'>,
  deadlineMs: number,
  onStep?: (step: BoundedStep) => void,
  worker: MigrationWorker = startMigrationWorker(),
): Promise<void> {
  return worker.run(options, deadlineMs, onStep);
}

/** A migration child, started ahead of need (its start-up overlaps the app's stop and the snapshot). */
export interface MigrationWorker {
  run(
    options: Omit<RunOptions, 'onStep' | 'driver'>,
    deadlineMs: number,
    onStep?: (step: BoundedStep) => void,
  ): Promise<void>;
  /** Stops a child that was never used. */
  dispose(): void;
}

/** The argument that makes the single executable run as a migration child (scripts/sea-entry.ts). */
export const MIGRATE_WORKER_ARG = '__slipway-migrate-worker';

function forkWorker(): ChildProcess {
  const options: SpawnOptions & ForkOptions = {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  };
  // The single executable has no script files: it runs itself in the child's role.
  if (isSingleExecutable()) return spawn(process.execPath, [MIGRATE_WORKER_ARG], options);
  const file = fileURLToPath(
    new URL(import.meta.url.endsWith('.ts') ? './run-worker.ts' : './run-worker.js', import.meta.url),
  );
  return fork(file, [], options);
}

export function startMigrationWorker(): MigrationWorker {
  const worker = forkWorker();
  // Until it is given work, an idle child must not keep the updater alive.
  worker.unref();
  worker.channel?.unref();
  let used = false;
  return {
    dispose: () => {
      if (!used) worker.kill('SIGKILL');
    },
    run: (options, deadlineMs, onStep) => {
      used = true;
      worker.ref();
      worker.channel?.ref();
      const command =
        'version' in options.command
          ? { ...options.command, version: options.command.version.toString() }
          : options.command;
      worker.send({ ...options, command });
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          worker.kill('SIGKILL');
          reject(
            new SlipwayError(
              'MIGRATION_FAILED',
              `the migrations did not finish within ${Math.round(deadlineMs / 1000)} s (update.migration-timeout) and were stopped`,
            ),
          );
        }, deadlineMs);
        const finish = (fn: () => void): void => {
          clearTimeout(timer);
          fn();
        };
        worker.on(
          'message',
          (m: { step?: BoundedStep; done?: string; error?: { code: string; message: string; details: string[] } }) => {
            if (m.step) onStep?.(m.step);
            else if (m.done !== undefined) finish(resolve);
            else if (m.error)
              finish(() =>
                reject(
                  new SlipwayError(isErrorCode(m.error!.code) ? m.error!.code : 'MIGRATION_FAILED', m.error!.message, {
                    details: m.error!.details,
                  }),
                ),
              );
          },
        );
        worker.on('error', (error: Error) => finish(() => reject(error)));
        worker.on('exit', (code) => {
          if (code !== 0)
            finish(() => reject(new SlipwayError('MIGRATION_FAILED', `the migration worker stopped (exit ${code})`)));
        });
      });
    },
  };
}
