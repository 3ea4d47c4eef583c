// Side-by-side benchmark of the history half of Slipway against the tools a user would
// otherwise pick, on generated histories of 10k, 100k and 1M commits (bench/generate-history.ts).
//
//   node bench/history.ts [sizes…]          e.g. node bench/history.ts 10000 100000 1000000
//
// Each tool runs as a user runs it (a fresh process, its CLI), in the same repository, with its
// output written to a file. Reported: the median wall time of the runs, the peak RSS (GNU time),
// and the ratio to plain `git log` over the same history. Needs `npm install --prefix bench`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateHistory } from './generate-history.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(import.meta.dirname, 'node_modules', '.bin');
const SLIPWAY = join(ROOT, 'dist', 'cli', 'bin.js');
const TIMEOUT_MS = 600_000;
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Measure {
  seconds: number | null;
  rssMb: number | null;
  note?: string;
}

/** Runs a command in its own process group, so that a timeout ends npm launchers' children too. */
async function run(cwd: string, command: string[], outFile: string | null): Promise<Measure> {
  if (outFile) rmSync(outFile, { force: true });
  const argv = GNU_TIME ? [GNU_TIME, '-f', '%M', ...command] : command;
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, TIMEOUT_MS);
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  if (timedOut) return { seconds: null, rssMb: null, note: `timeout ${TIMEOUT_MS / 1000}s` };
  const kb = GNU_TIME ? Number(/(\d+)\s*$/.exec(stderr)?.[1]) : NaN;
  if (status !== 0) return { seconds: null, rssMb: null, note: `exit ${status}: ${stderr.split('\n')[0]}` };
  return { seconds, rssMb: Number.isFinite(kb) ? kb / 1024 : null };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(cwd: string, command: string[], outFile: string | null, repeats: number): Promise<Measure> {
  const runs: Measure[] = [];
  for (let i = 0; i < repeats; i++) {
    const m = await run(cwd, command, outFile);
    if (m.seconds === null) return m;
    runs.push(m);
  }
  return { seconds: median(runs.map((m) => m.seconds!)), rssMb: Math.max(...runs.map((m) => m.rssMb ?? 0)) || null };
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
if (sizes.length === 0) sizes.push(10_000, 100_000, 1_000_000);
if (!existsSync(join(BIN, 'git-cliff'))) {
  console.error('bench: install the tools first: npm install --prefix bench');
  process.exit(1);
}
spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
const out = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const rows: string[] = [];
const versions = [
  `git ${spawnSync('git', ['--version']).stdout.toString().trim().replace('git version ', '')}`,
  `node ${process.version}`,
  spawnSync(join(BIN, 'git-cliff'), ['--version']).stdout.toString().trim(),
  `conventional-changelog ${spawnSync(process.execPath, ['-p', 'require("./bench/node_modules/conventional-changelog/package.json").version'], { cwd: ROOT }).stdout.toString().trim()}`,
];

for (const size of sizes) {
  const dir = join(import.meta.dirname, '.work', `history-${size}`);
  process.stderr.write(`history of ${size.toLocaleString('en')} commits: generating (cached)…\n`);
  await generateHistory({ commits: size, untagged: Math.min(5000, Math.floor(size / 2)), dir });
  const repeats = size >= 1_000_000 ? 1 : size >= 100_000 ? 3 : 5;
  const jobs: [string, string[], string | null][] = [
    ['git log (floor)', ['git', 'log'], null],
    [
      'slipway changelog',
      [process.execPath, SLIPWAY, 'changelog', '-o', join(out, 'slipway.md')],
      join(out, 'slipway.md'),
    ],
    ['git-cliff', [join(BIN, 'git-cliff'), '-o', join(out, 'cliff.md')], join(out, 'cliff.md')],
    [
      'conventional-changelog',
      [join(BIN, 'conventional-changelog'), '-p', 'conventionalcommits', '-r', '0', '-o', join(out, 'cc.md')],
      join(out, 'cc.md'),
    ],
    ['slipway next', [process.execPath, SLIPWAY, 'next', '--json'], null],
    ['git-cliff --bumped-version', [join(BIN, 'git-cliff'), '--unreleased', '--bumped-version'], null],
    ['conventional-recommended-bump', [join(BIN, 'conventional-recommended-bump'), '-p', 'conventionalcommits'], null],
  ];
  let floor: number | null = null;
  for (const [name, command, file] of jobs) {
    process.stderr.write(`  ${name}…`);
    const m = await measure(dir, command, file, repeats);
    if (name.startsWith('git log')) floor = m.seconds;
    process.stderr.write(` ${m.seconds === null ? m.note : `${m.seconds.toFixed(2)} s`}\n`);
    const ratio = m.seconds !== null && floor !== null ? `${(m.seconds / floor).toFixed(2)}x` : '—';
    rows.push(
      `| ${size.toLocaleString('en')} | ${name} | ${m.seconds === null ? m.note : m.seconds.toFixed(2)} | ${ratio} | ${m.rssMb === null ? '—' : m.rssMb.toFixed(0)} |`,
    );
  }
}
rmSync(out, { recursive: true, force: true });
console.log(`${versions.join(', ')}; ${process.env.BENCH_MACHINE ?? '2 cores'}\n`);
console.log('| commits | command | seconds (median) | vs git log | peak RSS MB |\n| ---: | --- | ---: | ---: | ---: |');
console.log(rows.join('\n'));
