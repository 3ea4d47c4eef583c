import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import * as tar from 'tar';
import { SlipwayError } from '../core/errors.ts';

// src/demo and dist/demo are both two folders below the package root.
const here = fileURLToPath(new URL('../../examples/sample-app/', import.meta.url));

/** Builds a release archive of the sample app in examples/sample-app (used by the demo, the tests and the benchmarks). */
export interface SampleBuild {
  version: string;
  /** The archive to write, e.g. app-linux-amd64.tar.gz. */
  out: string;
  /** How many of the migrations this version ships (its schema version). */
  schema: number;
  /** config_version this version's config migrations reach (1 or 2). */
  configVersion?: number;
  /** A build whose health check fails (for the rollback tests). */
  broken?: boolean;
  /** Extra entries, e.g. to build a hostile archive in tests. */
  extra?: (dir: string) => Promise<void>;
}

export async function buildSampleRelease(b: SampleBuild): Promise<string> {
  if (!existsSync(join(here, 'src', 'server.js')))
    throw new SlipwayError(
      'USAGE',
      `the sample app (examples/sample-app) is not beside this Slipway (looked in ${here}); the demo runs from a checkout or the npm package: node dist/cli/bin.js demo`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'sample-build-'));
  try {
    await cp(join(here, 'src', 'server.js'), join(dir, 'server.js'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    await writeFile(
      join(dir, 'build.json'),
      JSON.stringify({ version: b.version, schema: b.schema, broken: b.broken === true }),
    );
    await mkdir(join(dir, 'migrations'));
    const files = (await readdir(join(here, 'migrations'))).sort().slice(0, b.schema);
    for (const f of files) await cp(join(here, 'migrations', f), join(dir, 'migrations', f));
    const steps = JSON.parse(await readFile(join(here, 'config-migrations.json'), 'utf8')) as {
      migrations: { version: number }[];
      deprecated: unknown[];
    };
    steps.migrations = steps.migrations.filter((m) => m.version <= (b.configVersion ?? 1));
    if ((b.configVersion ?? 1) < 2) steps.deprecated = [];
    await writeFile(join(dir, 'config-migrations.json'), JSON.stringify(steps, null, 2));
    await writeFile(
      join(dir, 'slipway.app.json'),
      JSON.stringify(
        {
          name: 'sample',
          version: b.version,
          start: { command: ['{node}', 'server.js'], stopTimeout: '5s' },
          health: {
            url: 'http://127.0.0.1:{port}/health',
            successes: 2,
            interval: '100ms',
            timeout: b.broken ? '2s' : '15s',
          },
          migrations: 'migrations',
          configMigrations: 'config-migrations.json',
        },
        null,
        2,
      ),
    );
    await b.extra?.(dir);
    const entries = await readdir(dir);
    await tar.c({ gzip: true, file: b.out, cwd: dir, portable: true }, entries);
    return b.out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
