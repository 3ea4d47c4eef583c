// The public API of the slipway package: the pure core, the release operations, migrations, the feed, the agent, and headers for host apps.
export { SlipwayError, ExitError } from './core/errors.ts';
export { parseCommit, splitFooters } from './core/commit/parse.ts';
export type { ParsedCommit, RawCommit, Footer, Reference } from './core/commit/types.ts';
export { parseConfig, defaultConfig } from './core/config/parse.ts';
export { ConfigSchema, configJsonSchema, DEFAULT_TYPES, KEEP_A_CHANGELOG_SECTIONS } from './core/config/schema.ts';
export type { Config, ConfigInput, ResolvedConfig, Bump, TypeRule } from './core/config/schema.ts';
export { selectCommits, decideBump } from './core/version/bump.ts';
export { planVersion } from './core/version/next.ts';
export type { VersionPlan, VersionPlanInput } from './core/version/next.ts';
export { nightlyVersion, nextPrereleaseNumber } from './core/version/prerelease.ts';
export { toPep440, normalizePep440 } from './core/version/pep440.ts';
export { parseChangelog, serializeChangelog } from './core/changelog/document.ts';
export { mergeChangelog } from './core/changelog/merge.ts';
export { buildEntries } from './core/changelog/entries.ts';
export { renderNotes } from './core/notes/render.ts';
export { DEFAULT_NOTES_TEMPLATE } from './core/notes/default-template.ts';
export { computeNext } from './release/next.ts';
export type { NextOptions, NextResult } from './release/next.ts';
export { buildChangelog } from './release/changelog.ts';
export type { ChangelogOptions, ChangelogResult } from './release/changelog.ts';
export { buildNotes } from './release/notes.ts';
export { loadConfig } from './project/config-file.ts';
export {
  resolveVersionFiles,
  readVersions,
  planVersionWrite,
  applyVersionWrite,
} from './project/version-files/index.ts';
// Migrations, the feed, the agent and the host-app headers.
export { runMigrations, migrationStatus, loadMigrations } from './migrate/runner.ts';
export { migrateConfigFile } from './migrate/config-file.ts';
export { initFeed } from './feed/init.ts';
export { publishRelease } from './release/publish-release.ts';
export { promoteRelease } from './release/promote-release.ts';
export { yankRelease } from './release/yank-release.ts';
export { pruneChannel } from './release/prune-channel.ts';
export { FeedSession } from './feed/session.ts';
export type { FeedKeys, OnlineKeys } from './feed/metadata.ts';
export type { PublishOptions, ReleaseInfo } from './release/publish-release.ts';
export { createKeys, loadKey } from './feed/keys.ts';
export { LocalStore, openStore } from './feed/store.ts';
export type { FeedStore } from './feed/store.ts';
export { FeedClient } from './feed/client.ts';
export { serveFeed } from './feed/serve.ts';
export { selectUpdate, platformOf } from './core/feed/manifest.ts';
export type { Manifest, ChannelIndex, Selection } from './core/feed/manifest.ts';
export { parseWindows, activeWindow, nextWindowStart } from './core/schedule/window.ts';
export { parseDuration } from './core/schedule/duration.ts';
export { parseAppManifest } from './core/app-manifest.ts';
export type { AppManifest } from './core/app-manifest.ts';
export { Instance } from './agent/instance.ts';
export { Agent } from './agent/agent.ts';
export { install } from './agent/install.ts';
export { apiHeaders, apiHeadersMiddleware } from './http/headers.ts';
export type { Deprecated, HeaderOptions } from './http/headers.ts';
