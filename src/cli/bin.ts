#!/usr/bin/env node
import { CommanderError } from 'commander';
import module from 'node:module';
import { ExitError, SlipwayError } from '../core/errors.ts';
import { EXIT, exitCodeFor } from './output.ts';
import { buildProgram } from './program.ts';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  process.stderr.write(
    `slipway needs Node.js 22 or newer; this is ${process.version}. Run ". scripts/node-env.sh" in a checkout, or install Node 24 LTS.\n`,
  );
  process.exit(EXIT.usage);
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

const argv = process.argv.slice(2);
const wantsJson = argv.includes('--json');

function report(error: SlipwayError): void {
  if (wantsJson) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } }, null, 2)}\n`,
    );
  }
  process.stderr.write(`slipway: ${error.message}\n`);
  for (const line of error.details) process.stderr.write(`  - ${line}\n`);
}

const program = buildProgram();
try {
  // `--version` alone is Slipway's version; after a command (update --version v0.4.3) it is that command's.
  await program.parseAsync(
    argv.length === 1 && argv[0] === '--version' ? [...process.argv.slice(0, 2), '-V'] : process.argv,
  );
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; real usage errors were printed already.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof ExitError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof SlipwayError) {
    const known = error as SlipwayError<string>;
    report(known);
    process.exitCode = exitCodeFor(known);
  } else {
    process.stderr.write(
      `slipway: this is a bug, please report it with the command you ran:\n${(error as Error).stack ?? String(error)}\n`,
    );
    process.exitCode = EXIT.bug;
  }
}
// Exit now rather than let the runtime tear down a large heap piece by piece (a whole-history
// changelog of a million commits holds close to a gigabyte): output is flushed first.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
process.exit(process.exitCode ?? 0);
