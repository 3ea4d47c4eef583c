#!/usr/bin/env node
import module from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  process.stderr.write(
    `slipway needs Node.js 22 or newer; this is ${process.version}. Run ". scripts/node-env.sh" in a checkout, or install Node 24 LTS.\n`,
  );
  process.exit(2);
}

// Cache compiled code on disk (Node 22.1+): start-up is most of a short command's time.
module.enableCompileCache?.();

// A reader that stops early (`slipway next --json | head -1`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { main } = await import('./main.ts');
const code = await main(process.argv.slice(2), {
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
