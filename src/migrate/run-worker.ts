// The body of a bounded migration run (see bounded.ts): a child process that runs one migrate
// command and reports each step over IPC. A child, not a worker thread: SQLite runs a statement
// in native code, which only a signal can stop.
import { runMigrations, type RunOptions } from './runner.ts';

// The updater that started this process died (SIGKILL, power loss): stop at once; the open
// transaction dies with the connection, and the updater's recovery restores the snapshot.
process.on('disconnect', () => process.exit(1));

const send = (m: unknown): Promise<void> => new Promise((done) => process.send!(m, () => done()));

process.once('message', (options: Omit<RunOptions, 'onStep' | 'driver'> & { command: { version?: string } }) => {
  void (async () => {
    const command =
      options.command.version === undefined
        ? options.command
        : { ...options.command, version: BigInt(options.command.version) };
    try {
      const result = await runMigrations({
        ...(options as RunOptions),
        command: command,
        onStep: (step) =>
          void send({
            step: { direction: step.direction, file: step.migration.file, version: step.migration.version.toString() },
          }),
      });
      await send({ done: result.version.toString() });
    } catch (error) {
      const e = error as Error & { code?: string; details?: readonly string[] };
      await send({ error: { code: e.code ?? 'MIGRATION_FAILED', message: e.message, details: e.details ?? [] } });
    }
    process.exit(0);
  })();
});
