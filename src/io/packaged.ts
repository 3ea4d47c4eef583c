import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getAsset, isSea } from 'node:sea';

/**
 * Files Slipway ships beside its code (the web page, package.json, the build stamp). In the
 * single executable (scripts/build-binaries.ts) they are its assets, under `key`; from npm or a
 * checkout, the file at `beside()` (a URL relative to the calling module).
 */
export function isSingleExecutable(): boolean {
  return isSea();
}

export async function readPackaged(key: string, beside: () => URL): Promise<Buffer> {
  if (isSea()) return Buffer.from(getAsset(key));
  return readFile(beside());
}

/** The same, synchronously, for what a module needs as it loads; null when there is no such file. */
export function readPackagedTextSync(key: string, beside: () => URL): string | null {
  try {
    return isSea() ? getAsset(key, 'utf8') : readFileSync(beside(), 'utf8');
  } catch {
    return null;
  }
}
