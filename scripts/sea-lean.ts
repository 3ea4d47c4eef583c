// The single executable's lean agent (src/agent/lean.ts) as a script of its own, run by the
// launcher (scripts/sea-entry.ts) for `agent --root <root> --lean`, the command line the idle
// agent re-executes itself with: none of the CLI's code is loaded, so the idle agent holds only
// this (bench/footprint.ts).
import { runLean } from '../src/agent/lean.ts';
import { SlipwayError } from '../src/core/errors.ts';
import { takeEarlyStop } from '../src/io/early-stop.ts';

const args = process.argv.slice(2);
const root = args[args.indexOf('--root') + 1]!;
const early = takeEarlyStop();
const stopped = new Promise<void>((done) => {
  if (early) done();
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
});
runLean(root, stopped).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`slipway: ${(error as Error).message}\n`);
    process.exit(error instanceof SlipwayError ? error.exitCode : 1);
  },
);
