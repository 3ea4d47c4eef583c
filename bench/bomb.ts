// Peak RSS and time while an instance refuses a decompression bomb: a .tar.gz whose one entry is
// 10 GiB of zeros (about 10 MB packed). Cached in bench/.work/.
//   node bench/bomb.ts [GiB=10]
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants } from 'node:zlib';
import * as tar from 'tar';

const gib = Number(process.argv[2] ?? '10');
const work = join(import.meta.dirname, '.work');
mkdirSync(work, { recursive: true });
const file = join(work, `bomb-${gib}g.tar.gz`);
if (!existsSync(file)) {
  const size = gib * 1024 ** 3;
  const header = Buffer.alloc(512);
  new tar.Header({ path: 'zeros', type: 'File', size, mode: 0o644, mtime: new Date(0) }).encode(header, 0);
  function* body() {
    yield header;
    const chunk = Buffer.alloc(8 << 20);
    for (let done = 0; done < size; done += chunk.length) yield chunk;
    yield Buffer.alloc(1024);
  }
  await pipeline(Readable.from(body()), createGzip({ level: constants.Z_BEST_COMPRESSION }), createWriteStream(file));
}
const packed = statSync(file).size;
const child = `
  const { unpackRelease, defaultLimits } = await import(${JSON.stringify(join(import.meta.dirname, '..', 'src', 'agent', 'unpack.ts'))});
  const t = performance.now();
  try { await unpackRelease(${JSON.stringify(file)}, ${JSON.stringify(join(work, 'bomb-out'))}, defaultLimits(${packed})); console.log('UNPACKED (not refused)'); }
  catch (e) { console.log(e.code, Math.round(performance.now() - t) + ' ms'); }
`;
const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--input-type=module', '-e', child], {
  encoding: 'utf8',
});
const rssMb = Number(r.stderr.trim().split('\n').pop()) / 1024;
console.log(
  `${gib} GiB of zeros in ${(packed / 1048576).toFixed(1)} MB: ${r.stdout.trim()}, peak RSS ${rssMb.toFixed(0)} MB`,
);
