import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SlipwayError } from '../core/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { acquireLock } from './lock-file.ts';

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
