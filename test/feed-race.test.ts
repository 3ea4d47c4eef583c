// Racing publishers: two `slipway publish` processes at once, round after round, on a local feed
// and on an S3 bucket; then publishes killed with SIGKILL at random moments. Nothing that exited 0
// may be lost, and the feed must stay whole (feed status and feed verify pass, the next publish
// completes).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as tar from 'tar';
import { FeedSession } from '../src/feed/session.ts';
import { openStore } from '../src/feed/store.ts';
import { BIN, scratchRepo, spawnCli, tempDir } from './helpers.ts';
import { startS3 } from './s3-server.ts';

const ROUNDS = 20;
const KILLS = 6;

async function artifact(base: string, version: string): Promise<string> {
  const src = join(base, `src-${version}`);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'README'), `build ${version}\n`);
  const out = join(base, `out-${version}`, 'app-linux-amd64.tar.gz');
  await mkdir(join(base, `out-${version}`), { recursive: true });
  await tar.c({ gzip: true, file: out, cwd: src }, ['README']);
  return out;
}

async function setup(feed: (base: string) => string, env: Record<string, string>, url?: string) {
  const repo = await scratchRepo();
  await repo.commit('feat: first');
  const base = await tempDir();
  const keys = join(base, 'keys');
  const location = feed(base);
  const allEnv = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery', ...env };
  const cli = (...args: string[]) => spawnCli(args, { cwd: repo.dir, env: allEnv });
  assert.equal((await cli('keys', 'init', '--keys', keys)).status, 0);
  const init = await cli('feed', 'init', '--keys', keys, '--feed', location);
  assert.equal(init.status, 0, init.stderr);
  const publishArgs = async (version: string) => [
    'publish',
    version,
    await artifact(base, version),
    '--channel',
    'beta',
    '--keys',
    keys,
    '--feed',
    location,
  ];
  const listed = async (): Promise<string[]> => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const session = await FeedSession.open(await openStore(location, process.env));
      return (await session.index('beta')).releases.map((r) => r.version);
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    }
  };
  const healthy = async () => {
    const status = await cli('feed', 'status', '--feed', location, '--json');
    assert.equal(status.status, 0, status.stderr);
    const verify = await cli('feed', 'verify', '--feed', location, ...(url ? ['--url', url] : []), '--json');
    assert.equal(verify.status, 0, verify.stderr);
  };
  return { repo, cli, publishArgs, listed, healthy, env: allEnv };
}

async function race(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const succeeded: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const versions = [`1.${round}.0-beta.1`, `1.${round}.0-beta.2`];
    const runs = await Promise.all(versions.map(async (v) => s.cli(...(await s.publishArgs(v)))));
    runs.forEach((r, n) => {
      assert.equal(r.status, 0, `round ${round}, ${versions[n]}: ${r.stderr}`);
      succeeded.push(versions[n]!);
    });
  }
  const listed = new Set(await s.listed());
  assert.deepEqual(
    succeeded.filter((v) => !listed.has(v)),
    [],
    'every publish that exited 0 is listed',
  );
  await s.healthy();
}

/** Publishes killed with SIGKILL after a random delay; the feed stays whole and the next publish completes. */
async function kills(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  for (let n = 0; n < KILLS; n++) {
    const version = `2.${n}.0-beta.1`;
    const args = await s.publishArgs(version);
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: s.repo.dir,
      env: { ...process.env, ...s.env },
      stdio: 'ignore',
    });
    const closed = new Promise((r) => child.on('close', r));
    // Start-up takes some hundreds of ms; kill anywhere from before the lock to after the commit.
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 1200));
    child.kill('SIGKILL');
    await closed;
    await s.healthy();
    const next = await s.cli(...(await s.publishArgs(`3.${n}.0-beta.1`)));
    assert.equal(next.status, 0, `after a publish killed in round ${n}: ${next.stderr}`);
    // The killed one, published again, completes (or finds itself published already).
    const again = await s.cli(...args);
    assert.equal(again.status, 0, again.stderr);
    const listed = await s.listed();
    assert.ok(listed.includes(version) && listed.includes(`3.${n}.0-beta.1`), listed.join(', '));
  }
  await s.healthy();
}

describe('racing publishers on a local feed', () => {
  it(`${ROUNDS} rounds of two publishes at once lose nothing; SIGKILLed publishes leave a feed the next one completes`, async () => {
    const s = await setup((base) => join(base, 'feed'), {});
    await race(s);
    await kills(s);
  });
});

describe('a publisher that cannot get the lock', () => {
  it('waits its bounded time, then says who holds it and how to clear it, and changes nothing', async () => {
    const s = await setup((base) => join(base, 'feed'), {});
    const location = (await s.publishArgs('9.9.9'))[8]!;
    const { LocalStore } = await import('../src/feed/store.ts');
    const release = await new LocalStore(location).lock(1000);
    try {
      const r = await spawnCli(await s.publishArgs('1.0.0-beta.1'), {
        cwd: s.repo.dir,
        env: { ...s.env, SLIPWAY_FEED_LOCK_WAIT_MS: '300' },
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`another change to the feed .* is still running \\(pid ${process.pid}\\)`));
      assert.match(r.stderr, /\.publish\.lock/);
    } finally {
      await release();
    }
    assert.deepEqual(await s.listed(), []);
    const again = await s.cli(...(await s.publishArgs('1.0.0-beta.1')));
    assert.equal(again.status, 0, again.stderr);
  });
});

describe('racing publishers on an S3 feed (s3rver with conditional writes)', () => {
  it(`${ROUNDS} rounds of two publishes at once lose nothing; SIGKILLed publishes leave a feed the next one completes`, async () => {
    const s3 = await startS3(await tempDir('slipway-s3-'), ['race']);
    after(() => s3.close());
    const s = await setup(() => 's3://race/feed', s3.env, `${s3.endpoint}/race/feed`);
    await race(s);
    await kills(s);
  });

  it('refuses to publish where the S3 service ignores conditional writes, unless told only one publisher runs', async () => {
    const s3 = await startS3(await tempDir('slipway-s3-'), ['plain'], { conditionalWrites: false });
    after(() => s3.close());
    const repo = await scratchRepo();
    await repo.commit('feat: first');
    const base = await tempDir();
    const keys = join(base, 'keys');
    const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery', ...s3.env };
    const cli = (...args: string[]) => spawnCli(args, { cwd: repo.dir, env });
    assert.equal((await cli('keys', 'init', '--keys', keys)).status, 0);
    assert.equal((await cli('feed', 'init', '--keys', keys, '--feed', 's3://plain/feed')).status, 0);
    const file = await artifact(base, '1.0.0-beta.1');
    const args = ['publish', '1.0.0-beta.1', file, '--channel', 'beta', '--keys', keys, '--feed', 's3://plain/feed'];
    const refused = await cli(...args);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /ignores conditional writes/);
    assert.match(refused.stderr, /SLIPWAY_S3_SINGLE_PUBLISHER=1/);
    const vouched = await spawnCli(args, { cwd: repo.dir, env: { ...env, SLIPWAY_S3_SINGLE_PUBLISHER: '1' } });
    assert.equal(vouched.status, 0, vouched.stderr);
  });
});
