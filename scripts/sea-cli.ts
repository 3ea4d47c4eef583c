// The single executable's CLI (bundled to CommonJS by scripts/build-binaries.ts, so no top-level
// await), run by its launcher (scripts/sea-entry.ts). The same binary also runs as the migration
// child (src/migrate/bounded.ts).
import { MIGRATE_WORKER_ARG } from '../src/migrate/bounded.ts';

const args = process.argv.slice(2);
if (args[0] === MIGRATE_WORKER_ARG) void import('../src/migrate/run-worker.ts');
else void import('../src/cli/process.ts').then(({ runAsProcess }) => runAsProcess(args));
