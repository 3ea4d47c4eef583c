import { readPackagedTextSync } from './packaged.ts';

/** Slipway's own version, from its package.json (src/io and dist/io are both two folders below it). */
export const SLIPWAY_VERSION = (
  JSON.parse(readPackagedTextSync('package.json', () => new URL('../../package.json', import.meta.url)) ?? '{}') as {
    version?: string;
  }
).version!;

/** When and from which commit this build was made (dist/build-info.json), or "source" when run from a checkout. */
export function buildInfo(): { build: string; commit: string } {
  const text = readPackagedTextSync('build-info.json', () => new URL('../build-info.json', import.meta.url));
  return text === null
    ? { build: 'source', commit: 'unknown' }
    : (JSON.parse(text) as { build: string; commit: string });
}
