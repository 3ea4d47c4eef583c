/**
 * `slipway/release`: the maintainer's pipeline — plan (next), changelog, notes, and the feed
 * operations (publish with the promotion rules, promote, yank, prune) with the release view.
 * @packageDocumentation
 */
export { computeNext } from './next.ts';
export type { NextOptions, NextResult } from './next.ts';
export { buildChangelog } from './changelog.ts';
export type { ChangelogOptions, ChangelogResult } from './changelog.ts';
export { buildNotes } from './notes.ts';
export type { NotesOptions } from './notes.ts';
export { publish, parseSeverity } from './publish.ts';
export type { PublishRequest, PublishOutcome } from './publish.ts';
export { promote } from './promote.ts';
export type { PromoteOutcome } from './promote.ts';
export { yank } from './yank.ts';
export type { YankOutcome } from './yank.ts';
export { prune } from './prune.ts';
export type { PruneOutcome } from './prune.ts';
export { publishRelease } from './publish-release.ts';
export type { PublishOptions, PublishResult, ReleaseInfo } from './publish-release.ts';
export { promoteRelease } from './promote-release.ts';
export { yankRelease } from './yank-release.ts';
export { pruneChannel } from './prune-channel.ts';
export { locateRelease, checkVersion } from './locate.ts';
export { judgePromotion, releaseCommit, requireChannel } from './feed-context.ts';
export type { FeedContext } from './feed-context.ts';
export { commitFacts } from './promotion-facts.ts';
export { writeReleaseView, renderSha256Sums, signBlob } from './release-view.ts';
export type { ReleaseViewOptions } from './release-view.ts';
