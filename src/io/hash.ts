import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SlipwayError } from '../core/errors.ts';

/** sha256 of bytes in memory, hex. */
export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** sha256 and length of a file, read into one reused buffer: memory stays flat whatever the size. */
export async function hashFile(
  path: string,
  onProgress?: (done: number, total: number) => void,
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  let handle;
  try {
    handle = await open(path, 'r');
    const total = onProgress ? (await handle.stat()).size : 0;
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let n = 0; ; n++) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      length += bytesRead;
      if (onProgress && n % 64 === 0) onProgress(length, total);
    }
  } catch (error) {
    throw new SlipwayError(
      'ARTIFACT_MISSING',
      `cannot read artifact ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  } finally {
    await handle?.close();
  }
  return { sha256: hash.digest('hex'), length };
}
