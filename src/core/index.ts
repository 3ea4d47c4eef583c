/**
 * `slipway/core`: the pure domain logic — no I/O, no clock. Commit parsing, bump policy and
 * version planning, the changelog model, release notes, the config schema, feed documents and
 * update selection, promotion rules, maintenance windows, the update decision, error codes.
 * @packageDocumentation
 */
export { SlipwayError, ExitError, ERROR_CATALOGUE, isErrorCode, type ErrorCode } from './errors.ts';
export { parseCommit, splitFooters } from './commit/parse.ts';
export type { ParsedCommit, RawCommit, Footer, Reference } from './commit/types.ts';
export { parseConfig, defaultConfig } from './config/parse.ts';
export {
  ConfigSchema,
  configJsonSchema,
  resolveConfig,
  DEFAULT_TYPES,
  KEEP_A_CHANGELOG_SECTIONS,
} from './config/schema.ts';
export type { Config, ConfigInput, ResolvedConfig, Bump, TypeRule, VersionFileEntry } from './config/schema.ts';
export { selectCommits, decideBump, bumpForCommit, higherBump, applyZeroMajorRule } from './version/bump.ts';
export type { CommitSelection, BumpDecision } from './version/bump.ts';
export { planVersion } from './version/next.ts';
export type { VersionPlan, VersionPlanInput } from './version/next.ts';
export { nightlyVersion, nextPrereleaseNumber } from './version/prerelease.ts';
export type { NightlyInput } from './version/prerelease.ts';
export { toPep440, normalizePep440 } from './version/pep440.ts';
export { versionFromTag, classifyTags, parseVersionArgument, channelOf } from './version/tags.ts';
export type { ReleaseTag, TagClassification } from './version/tags.ts';
export { parseChangelog, serializeChangelog } from './changelog/document.ts';
export type { ChangelogDocument, Block } from './changelog/document.ts';
export { mergeChangelog, DEFAULT_PREAMBLE } from './changelog/merge.ts';
export type { MergeOptions, MergeResult } from './changelog/merge.ts';
export { buildEntries, groupBySection } from './changelog/entries.ts';
export type { ChangeEntry, ReleaseChanges } from './changelog/entries.ts';
export { renderNotes } from './notes/render.ts';
export type { NotesContext } from './notes/render.ts';
export { DEFAULT_NOTES_TEMPLATE } from './notes/default-template.ts';
export {
  SEVERITIES,
  selectUpdate,
  findRelease,
  platformOf,
  visibleChannels,
  ManifestSchema,
  ChannelIndexSchema,
} from './feed/manifest.ts';
export type { Manifest, ChannelIndex, IndexEntry, Artifact, Candidate, Selection, Severity } from './feed/manifest.ts';
export { checkPromotion, globToRegExp } from './release/promotion.ts';
export type { PromotionPolicy, CommitFacts, PromotionRequest, PromotionVerdict } from './release/promotion.ts';
export { decideUpdate } from './update/decide.ts';
export type { UpdateDecision, UpdateSettings, InstalledState } from './update/decide.ts';
export { parseWindows, activeWindow, nextWindowStart, describeWindows } from './schedule/window.ts';
export type { Window } from './schedule/window.ts';
export { parseDuration, formatDuration } from './schedule/duration.ts';
export { parseAppManifest, AppManifestSchema, APP_MANIFEST } from './app-manifest.ts';
export type { AppManifest } from './app-manifest.ts';
