/**
 * Publishing a Python release: `slipway publish-to pypi` beside `twine upload` (Debian's twine),
 * both against the same stand-in of PyPI's legacy upload API on 127.0.0.1 (test/pypi-server.ts),
 * each as a fresh process, as a user runs it. Two cases: the first upload of a wheel and an sdist,
 * and the re-run of an upload that is there already (twine --skip-existing; Slipway compares the
 * files on the simple index first). Prints a Markdown table with the ratios.
 *
 *   . scripts/node-env.sh && node bench/publish.ts [runs]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_PY } from '../test/python-build.ts';
import { startPypi, type PypiStandIn } from '../test/pypi-server.ts';

const runs = Number(process.argv[2] ?? 5);
const token = 'pypi-bench-token-0123456789';
// The built CLI, as installed (npm run build); the TypeScript sources when it is not built.
const built = new URL('../dist/cli/bin.js', import.meta.url).pathname;
const bin = existsSync(built) ? built : new URL('../src/cli/bin.ts', import.meta.url).pathname;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
}

/** A fresh process, timed; asynchronous, so the stand-in in this process keeps answering. */
function timed(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`${cmd}: ${err}`)),
    );
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function project(repository: string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-pypi-'));
  writeFileSync(join(dir, 'pyproject.toml'), '[project]\nname = "fx-lib"\nversion = "1.0.0"\n');
  writeFileSync(join(dir, 'build.py'), BUILD_PY);
  writeFileSync(join(dir, 'slipway.json'), JSON.stringify({ release: { publish: ['pypi'], pypi: { repository } } }));
  sh('git', ['init', '-q', '-b', 'main'], dir);
  sh('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '--allow-empty', '-m', 'feat: x'], dir);
  sh('git', ['tag', 'v1.0.0'], dir);
  sh('python3', ['build.py'], dir);
  return { dir, files: readdirSync(join(dir, 'dist')).map((f) => join('dist', f)) };
}

async function measure(tool: 'slipway' | 'twine', again: boolean): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const pypi: PypiStandIn = await startPypi(token);
    try {
      const p = project(pypi.repository);
      const run = (): Promise<number> =>
        tool === 'slipway'
          ? timed(process.execPath, [bin, 'publish-to', 'pypi', '1.0.0', ...p.files], p.dir, { PYPI_TOKEN: token })
          : timed(
              'twine',
              [
                'upload',
                '--non-interactive',
                '--disable-progress-bar',
                '--skip-existing',
                '--repository-url',
                pypi.repository,
                ...p.files,
              ],
              p.dir,
              { TWINE_USERNAME: '__token__', TWINE_PASSWORD: token },
            );
      const first = await run();
      out.push(again ? await run() : first);
    } finally {
      await pypi.close();
    }
  }
  return out;
}

const rows: string[] = [];
for (const again of [false, true]) {
  const s = median(await measure('slipway', again));
  const t = median(await measure('twine', again));
  rows.push(
    `| ${again ? 're-run (files there already)' : 'first upload (wheel + sdist)'} | ${s.toFixed(0)} | ${t.toFixed(0)} | ${(t / s).toFixed(2)}× |`,
  );
}
const twine = spawnSync('twine', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
console.log(
  `node ${process.version}, ${twine}; slipway from ${bin.includes('/dist/') ? 'dist (built)' : 'src'}; median of ${runs} runs, wall ms per process\n`,
);
console.log('| case | slipway publish-to pypi | twine upload | twine / slipway |');
console.log('| --- | ---: | ---: | ---: |');
console.log(rows.join('\n'));
