// The single executable's main script: a launcher that compiles and runs one of its two scripts,
// kept as assets (scripts/build-binaries.ts). `agent --root <root> --lean` (the idle agent, see
// src/agent/lean.ts) runs the small lean script; everything else runs the CLI, with the V8 code
// cache made for it at build time where there is one (the builder's own architecture). The idle
// agent thus never loads the CLI's code: a main script is always loaded whole.
import { getAsset, getRawAsset } from 'node:sea';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { catchEarlyStop } from '../src/io/early-stop.ts';

// First, for the agent: a SIGTERM while its code loads (it re-executes itself) is kept, not fatal.
if (process.argv[2] === 'agent') catchEarlyStop();

const args = process.argv.slice(2);
const part =
  args[0] === 'agent' && args.length === 4 && args[1] === '--root' && args[2] !== '' && args[3] === '--lean'
    ? 'lean'
    : 'cli';
let cachedData: Buffer | undefined;
try {
  cachedData = Buffer.from(getRawAsset(`${part}.cache`));
} catch {
  cachedData = undefined;
}
// The asset is the bundle wrapped as a CommonJS module function (see wrapModule in the builder).
const script = new Script(getAsset(`${part}.js`, 'utf8'), {
  filename: `slipway-${part}.js`,
  // The bundles have no import() (the builder turns them into require()): no dynamic import callback.
  ...(cachedData ? { cachedData } : {}),
});
if (process.env.SLIPWAY_SEA_CODE_CACHE === 'report')
  process.stderr.write(
    `code cache (${part}): ${cachedData ? (script.cachedDataRejected ? 'rejected' : 'used') : 'none'}\n`,
  );
const run = script.runInThisContext() as (
  exports: object,
  req: NodeJS.Require,
  module: { exports: object },
  filename: string,
  dir: string,
) => void;
const module_ = { exports: {} };
run.call(module_.exports, module_.exports, require, module_, process.execPath, dirname(process.execPath));
