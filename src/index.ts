/**
 * The whole public API of the slipway package. Import a piece instead (`slipway/core`,
 * `slipway/feed`, `slipway/release`, `slipway/agent`, `slipway/migrate`, `slipway/http`,
 * `slipway/testing`) to load only what it needs; `slipway/http` loads nothing else.
 * @packageDocumentation
 */
export * from './core/index.ts';
export * from './feed/index.ts';
export * from './release/index.ts';
export * from './migrate/index.ts';
export * from './agent/index.ts';
export * from './http/index.ts';
export { loadConfig } from './project/config-file.ts';
export {
  resolveVersionFiles,
  readVersions,
  planVersionWrite,
  applyVersionWrite,
} from './project/version-files/index.ts';
