// The entry of Slipway's single executable (bundled to CommonJS by scripts/build-binaries.ts, so no
// top-level await). The same binary also runs as the migration child (src/migrate/bounded.ts).
import { MIGRATE_WORKER_ARG } from '../src/migrate/bounded.ts';

const args = process.argv.slice(2);
if (args[0] === MIGRATE_WORKER_ARG) {
  void import('../src/migrate/run-worker.ts');
} else {
  // A reader that stops early (`slipway next --json | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  void import('../src/cli/main.ts').then(async ({ main }) => {
    const code = await main(args, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      stdin: process.stdin,
      cwd: workingFolder(),
    });
    await new Promise<void>((done) => process.stdout.write('', () => done()));
    process.exit(code);
  });
}

/** The current folder; a removed one is refused up front rather than failing somewhere inside. */
function workingFolder(): string {
  try {
    return process.cwd();
  } catch {
    process.stderr.write(
      'slipway: the current folder no longer exists; cd to one that does and run the command again\n',
    );
    process.exit(2);
  }
}
