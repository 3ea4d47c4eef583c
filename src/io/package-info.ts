import { createRequire } from 'node:module';

/** Slipway's own version, from its package.json (src/io and dist/io are both two folders below it). */
export const SLIPWAY_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
