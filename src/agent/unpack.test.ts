import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tar from 'tar';
import { SlipwayError } from '../core/errors.ts';
import { tempDir } from '../../test/helpers.ts';
import { entryProblem, unpackRelease } from './unpack.ts';

/** Writes a .tar.gz with hand-made headers, so the hostile entries are exactly what an attacker would send. */
async function hostile(
  dir: string,
  entries: { path: string; type?: 'File' | 'SymbolicLink' | 'Link' | 'FIFO'; linkpath?: string; body?: string }[],
): Promise<string> {
  const { Header } = tar;
  const file = join(dir, 'evil.tar.gz');
  const chunks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = new Header({
      path: e.path,
      type: e.type ?? 'File',
      size: e.type && e.type !== 'File' ? 0 : body.length,
      mode: 0o644,
      mtime: new Date(0),
      linkpath: e.linkpath ?? '',
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    chunks.push(block);
    if (!e.type || e.type === 'File') chunks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  chunks.push(Buffer.alloc(1024));
  const { gzipSync } = await import('node:zlib');
  await writeFile(file, gzipSync(Buffer.concat(chunks)));
  return file;
}

describe('unpacking a release', () => {
  it('unpacks a normal archive, with links that stay inside', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'src', 'bin'), { recursive: true });
    await writeFile(join(dir, 'src', 'slipway.app.json'), '{}');
    await writeFile(join(dir, 'src', 'bin', 'app'), 'binary');
    await symlink('bin/app', join(dir, 'src', 'app'));
    await tar.c({ gzip: true, file: join(dir, 'ok.tar.gz'), cwd: join(dir, 'src') }, [
      'slipway.app.json',
      'bin',
      'app',
    ]);
    const r = await unpackRelease(join(dir, 'ok.tar.gz'), join(dir, 'out'));
    assert.equal(r.files, 2);
    assert.equal(await readFile(join(dir, 'out', 'app'), 'utf8'), 'binary');
  });

  const cases: [string, Parameters<typeof hostile>[1], RegExp][] = [
    ['a path with ..', [{ path: '../../etc/cron.d/evil', body: 'x' }], /path leaves the release folder/],
    ['an absolute path', [{ path: '/etc/passwd', body: 'x' }], /absolute path/],
    [
      'a symlink pointing out',
      [{ path: 'escape', type: 'SymbolicLink', linkpath: '../../../home' }],
      /link pointing out of the release folder/,
    ],
    [
      'a symlink to an absolute path',
      [{ path: 'etc', type: 'SymbolicLink', linkpath: '/etc' }],
      /link to an absolute path/,
    ],
    ['a hard link out', [{ path: 'h', type: 'Link', linkpath: '../outside' }], /link pointing out/],
    ['a FIFO', [{ path: 'pipe', type: 'FIFO' }], /FIFO entries are not allowed/],
  ];
  for (const [name, entries, why] of cases) {
    it(`refuses ${name}, and writes nothing`, async () => {
      const dir = await tempDir();
      const file = await hostile(dir, [{ path: 'slipway.app.json', body: '{}' }, ...entries]);
      await assert.rejects(
        unpackRelease(file, join(dir, 'out')),
        (e: SlipwayError) => e.code === 'UNSAFE_ARCHIVE' && why.test(e.message),
      );
      assert.deepEqual((await readdir(dir)).sort(), ['evil.tar.gz']);
    });
  }

  it('refuses what is not a .tar.gz', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'app.tar.gz'), 'not gzip at all');
    await assert.rejects(
      unpackRelease(join(dir, 'app.tar.gz'), join(dir, 'out')),
      (e: SlipwayError) => e.code === 'ARTIFACT_FORMAT',
    );
    await assert.rejects(
      unpackRelease(join(dir, 'app.zip'), join(dir, 'out')),
      (e: SlipwayError) => e.code === 'ARTIFACT_FORMAT',
    );
  });

  it('entryProblem allows links within, refuses the rest', () => {
    assert.equal(entryProblem('a/b', 'SymbolicLink', '../c'), null);
    assert.match(entryProblem('a/b', 'SymbolicLink', '../../c')!, /out of the release/);
    assert.match(entryProblem('C:/x', 'File', undefined)!, /absolute/);
  });
});

describe('links followed through the archive', () => {
  it('refuses a chain of links that leaves the release folder, and allows one that stays', async () => {
    const { resolveThroughLinks } = await import('./unpack.ts');
    const chain = new Map([
      ['a/b', '..'],
      ['a/c', 'b/..'],
      ['a/d', 'c/..'],
      ['a/e', 'd/..'],
    ]);
    assert.equal(resolveThroughLinks('a/b', chain), '');
    assert.equal(resolveThroughLinks('a/c', chain), null);
    assert.equal(resolveThroughLinks('a/e', chain), null);
    assert.equal(resolveThroughLinks('a/x/../y', new Map([['a/x', 'z']])), 'a/y');
    assert.equal(resolveThroughLinks('bin/app', new Map([['bin', 'lib/bin']])), 'lib/bin/app');
  });
});

describe('archives that are too big, and modes', () => {
  it('refuses an archive that unpacks past its limit before writing anything (a 64 MiB zero file, limit 1 MiB)', async () => {
    const dir = await tempDir();
    const { createGzip } = await import('node:zlib');
    const { createWriteStream } = await import('node:fs');
    const { pipeline } = await import('node:stream/promises');
    const { Readable } = await import('node:stream');
    const size = 64 * 1024 * 1024;
    const header = Buffer.alloc(512);
    new tar.Header({ path: 'zeros', type: 'File', size, mode: 0o644, mtime: new Date(0) }).encode(header, 0);
    const file = join(dir, 'bomb.tar.gz');
    function* body() {
      yield header;
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < size / chunk.length; i++) yield chunk;
      yield Buffer.alloc(1024);
    }
    await pipeline(Readable.from(body()), createGzip(), createWriteStream(file));
    const dest = join(dir, 'out');
    await assert.rejects(
      unpackRelease(file, dest, { maxBytes: 1024 * 1024, maxEntries: 10 }),
      (e: SlipwayError) => e.code === 'UNSAFE_ARCHIVE' && /more than 1048576 bytes/.test(e.message),
    );
    await assert.rejects(readdir(dest), 'nothing was written');
  });

  it('drops setuid, setgid and sticky bits', async () => {
    const dir = await tempDir();
    const header = Buffer.alloc(512);
    const body = Buffer.from('#!/bin/sh\necho hi\n');
    new tar.Header({ path: 'tool', type: 'File', size: body.length, mode: 0o7755, mtime: new Date(0) }).encode(
      header,
      0,
    );
    const { gzipSync } = await import('node:zlib');
    const file = join(dir, 'suid.tar.gz');
    await writeFile(file, gzipSync(Buffer.concat([header, body, Buffer.alloc(512 - body.length), Buffer.alloc(1024)])));
    const dest = join(dir, 'out');
    await unpackRelease(file, dest);
    const { stat } = await import('node:fs/promises');
    assert.equal((await stat(join(dest, 'tool'))).mode & 0o7000, 0);
  });
});
