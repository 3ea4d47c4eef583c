import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SlipwayError } from '../core/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { acquireLock, lockHolder, startTimeOf } from './lock-file.ts';

const held = (owner: number | null) => new SlipwayError('LOCKED', `held by ${owner ?? 'unknown'}`);

describe('lock files', () => {
  it('takes over the lock of a dead owner, waits for a live one, and leaves a fresh empty file alone', async () => {
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    await writeFile(path, '2147483646\n'); // no such process
    const release = await acquireLock(path, { held });
    await assert.rejects(acquireLock(path, { held, timeoutMs: 100 }), /held by \d+/);
    await release();
    // A creator that has not written its pid yet: not stale within the grace period…
    await writeFile(path, '');
    await assert.rejects(acquireLock(path, { held }), /held by unknown/);
    // …stale after it.
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await (
      await acquireLock(path, { held })
    )();
  });
});

describe('a lock whose pid was given to another process', () => {
  it('is taken over: the pid is alive but started at another time than the lock says', async () => {
    const dir = await tempDir();
    const path = join(dir, 'agent.lock');
    // The parent (the test runner) is alive; the lock says it started at another time: a reused pid.
    const other = process.ppid;
    const start = startTimeOf(other);
    assert.ok(start !== null, '/proc/<pid>/stat is readable here');
    await writeFile(path, `${other} ${Number(start) + 1}\n`);
    assert.equal(lockHolder(path), null);
    const release = await acquireLock(path, { held });
    assert.equal(lockHolder(path), process.pid);
    await release();
    // The same pid and start time: its owner, held.
    await writeFile(path, `${other} ${start}\n`);
    assert.equal(lockHolder(path), other);
    await assert.rejects(acquireLock(path, { held }), new RegExp(`held by ${other}`));
    // A lock of an older Slipway (the pid only) of a live process: held, as before.
    await writeFile(path, `${other}\n`);
    assert.equal(lockHolder(path), other);
    await assert.rejects(acquireLock(path, { held }), new RegExp(`held by ${other}`));
  });
});

const ROUNDS = 25;

describe('lock takeover under contention', () => {
  it('eight processes that keep finding dead owners take the lock one at a time', async () => {
    const { spawn } = await import('node:child_process');
    const { readFile } = await import('node:fs/promises');
    const dir = await tempDir();
    const path = join(dir, 'x.lock');
    const log = join(dir, 'log');
    await writeFile(path, '2147483646\n'); // a dead owner: every contender sees it at once
    const body = `
      import { appendFileSync, writeFileSync } from 'node:fs';
      import { acquireLock } from ${JSON.stringify(new URL('./lock-file.ts', import.meta.url).href)};
      for (let round = 0; round < ${ROUNDS}; round++) {
        await acquireLock(${JSON.stringify(path)}, { timeoutMs: 60000, held: () => new Error('held') });
        appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 2));
        appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
        // Dies holding it, as a SIGKILLed holder would: the others find a dead owner again.
        writeFileSync(${JSON.stringify(path)}, '2147483646\\n');
      }
    `;
    const codes = await Promise.all(
      Array.from(
        { length: 8 },
        () =>
          new Promise<number | null>((resolve) =>
            spawn(process.execPath, ['--input-type=module', '-e', body], { stdio: 'inherit' }).on('exit', resolve),
          ),
      ),
    );
    assert.deepEqual(codes, Array(8).fill(0));
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 8 * ROUNDS * 2);
    // Strictly alternating in/out of the same process: never two holders at once.
    for (let n = 0; n < lines.length; n += 2) {
      const [a, pa] = lines[n]!.split(' ');
      const [b, pb] = lines[n + 1]!.split(' ');
      assert.equal(a, 'in', lines.join(', '));
      assert.equal(b, 'out', lines.join(', '));
      assert.equal(pa, pb, lines.join(', '));
    }
  });
});
