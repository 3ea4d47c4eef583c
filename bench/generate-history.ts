// Generates a git repository with N commits of realistic Conventional Commit messages through
// `git fast-import` (one process, streamed: no `git commit` per commit). Release tags every 150
// commits up to `untagged` commits before HEAD; a merged side branch every 100 commits; bodies,
// footers, issue references, reverts and non-conventional messages in realistic proportions.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GENERATOR_VERSION = '2';

/** A small deterministic PRNG (mulberry32), so every run builds the same history. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCOPES = [
  'api',
  'ui',
  'sites',
  'backup',
  'auth',
  'dashboard',
  'config',
  'db',
  'cli',
  'deps',
  'docker',
  'dns',
  'mail',
  'ssl',
  'cron',
];
const VERBS = [
  'add',
  'support',
  'handle',
  'correct',
  'improve',
  'allow',
  'remove',
  'rename',
  'speed up',
  'validate',
  'retry',
  'cache',
  'log',
  'expose',
  'document',
];
const NOUNS = [
  'bulk domain import',
  'timezone handling in scheduled backups',
  'MFA flow',
  'P95 load time',
  'empty request body',
  'SSL renewal',
  'audit index',
  'rate limiting',
  'user invitations',
  'webhook retries',
  'mail queue',
  'config reload',
  'DNS propagation check',
  'dark mode',
  'pagination cursor',
];
const TYPES: [string, number][] = [
  ['feat', 25],
  ['fix', 30],
  ['chore', 10],
  ['docs', 8],
  ['refactor', 7],
  ['test', 5],
  ['perf', 3],
  ['ci', 3],
  ['build', 2],
  ['security', 1],
  ['plain', 5],
  ['revert', 1],
];
const TOTAL = TYPES.reduce((s, [, w]) => s + w, 0);

function message(rand: () => number, i: number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  let r = rand() * TOTAL;
  let type = 'fix';
  for (const [t, w] of TYPES) {
    if ((r -= w) < 0) {
      type = t;
      break;
    }
  }
  const subject = `${pick(VERBS)} ${pick(NOUNS)}${rand() < 0.3 ? ` (#${1 + Math.floor(rand() * 5000)})` : ''}`;
  if (type === 'plain')
    return pick([
      'Update README.md',
      `Merge pull request #${i} from someone/topic-${i}`,
      'WIP',
      `Bump dependencies (${i})`,
      'Fix typo',
    ]);
  if (type === 'revert')
    return `Revert "feat: ${subject}"\n\nThis reverts commit ${(i * 2654435761).toString(16).padStart(8, '0').slice(0, 8)}${'0'.repeat(32)}.`;
  const breaking = rand() < 0.01;
  let text = `${type}${rand() < 0.7 ? `(${pick(SCOPES)})` : ''}${breaking && rand() < 0.5 ? '!' : ''}: ${subject}`;
  const paragraphs: string[] = [];
  if (rand() < 0.4) {
    const lines = 1 + Math.floor(rand() * 4);
    paragraphs.push(
      Array.from(
        { length: lines },
        () => `This ${pick(VERBS)}s the ${pick(NOUNS)} so that the ${pick(NOUNS)} keeps working.`,
      ).join('\n'),
    );
  }
  const footers: string[] = [];
  if (breaking)
    footers.push(
      `BREAKING CHANGE: the ${pick(NOUNS)} setting is renamed;\nrun the config migration or edit it by hand.`,
    );
  if (rand() < 0.1) footers.push(`Closes #${1 + Math.floor(rand() * 5000)}`);
  if (rand() < 0.2) footers.push('Signed-off-by: Dev Eloper <dev@example.com>');
  if (footers.length > 0) paragraphs.push(footers.join('\n'));
  if (paragraphs.length > 0) text += `\n\n${paragraphs.join('\n\n')}`;
  return text;
}

export interface GenerateOptions {
  commits: number;
  /** Commits after the last release tag. */
  untagged: number;
  dir: string;
}

/** Builds the repository unless a complete one from this generator version is there already. */
export async function generateHistory(options: GenerateOptions): Promise<string> {
  const marker = join(options.dir, '.git', 'bench-complete');
  const stamp = `${GENERATOR_VERSION} ${options.commits} ${options.untagged}`;
  if (existsSync(marker)) {
    if (readFileSync(marker, 'utf8') === stamp) return options.dir;
  }
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const git = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const c = spawn('git', args, { cwd: options.dir, stdio: 'inherit' });
      c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')} exited ${code}`))));
    });
  await git(['init', '-q', '-b', 'main']);
  const child = spawn('git', ['fast-import', '--quiet', '--done'], {
    cwd: options.dir,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))),
  );
  const rand = random(42);
  let time = 1_600_000_000;
  let mark = 0;
  let buffer = '';
  const flush = async (): Promise<void> => {
    if (!child.stdin.write(buffer)) await new Promise((r) => child.stdin.once('drain', r));
    buffer = '';
  };
  const commit = (ref: string, msg: string, from: number | null, merge: number | null, first: boolean): number => {
    mark++;
    time += 60;
    const data = Buffer.byteLength(msg);
    buffer += `commit ${ref}\nmark :${mark}\nauthor Dev Eloper <dev@example.com> ${time} +0000\ncommitter Dev Eloper <dev@example.com> ${time} +0000\ndata ${data}\n${msg}\n`;
    if (from !== null) buffer += `from :${from}\n`;
    if (merge !== null) buffer += `merge :${merge}\n`;
    if (first) buffer += 'M 644 inline README.md\ndata 8\n# Bench\n';
    buffer += '\n';
    return mark;
  };
  let version = [0, 1, 0];
  let releases = 0;
  let main = commit('refs/heads/main', 'feat: initial commit', null, null, true);
  for (let i = 1; i < options.commits; i++) {
    if (i % 100 === 0 && i + 3 < options.commits) {
      // A topic branch of two commits, merged with a merge commit.
      const a = commit('refs/heads/topic', message(rand, i), main, null, false);
      const b = commit('refs/heads/topic', message(rand, i + 1), a, null, false);
      main = commit('refs/heads/main', `Merge pull request #${i} from someone/topic-${i}`, main, b, false);
      i += 2;
    } else {
      main = commit('refs/heads/main', message(rand, i), null, null, false);
    }
    if (i % 150 === 0 && i < options.commits - options.untagged) {
      releases++;
      version =
        releases % 50 === 0
          ? [version[0]! + 1, 0, 0]
          : releases % 5 === 0
            ? [version[0]!, version[1]! + 1, 0]
            : [version[0]!, version[1]!, version[2]! + 1];
      buffer += `reset refs/tags/v${version.join('.')}\nfrom :${main}\n\n`;
    }
    if (buffer.length > 1 << 20) await flush();
  }
  buffer += 'done\n';
  await flush();
  child.stdin.end();
  await done;
  await git(['update-ref', '-d', 'refs/heads/topic']).catch(() => undefined);
  await git(['reset', '-q', '--hard']);
  // As a clone or `git gc` leaves them: thousands of loose tag files are not what users have.
  await git(['pack-refs', '--all']);
  writeFileSync(marker, stamp);
  return options.dir;
}

if (import.meta.main) {
  const n = Number(process.argv[2] ?? 10000);
  const dir = process.argv[3] ?? join(import.meta.dirname, '.work', `history-${n}`);
  const started = performance.now();
  await generateHistory({ commits: n, untagged: Math.min(5000, Math.floor(n / 2)), dir });
  console.log(`${dir}: ${n} commits in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
