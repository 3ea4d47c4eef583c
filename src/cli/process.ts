import { main } from './main.ts';

/**
 * Runs slipway as this process (the npm bin, and the single executable's entry): the process's
 * streams, environment and folder, then its exit with the command's status.
 */
export async function runAsProcess(args: readonly string[]): Promise<never> {
  // A reader that stops early (`slipway next --json | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await main(args, {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: process.stdin,
    cwd: workingFolder(),
  });
  // Exit now rather than let the runtime tear down a large heap piece by piece (a whole-history
  // changelog of a million commits holds close to a gigabyte): output is flushed first.
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  process.exit(code);
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
