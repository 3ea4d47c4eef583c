/**
 * `slipway/feed`: the release feed, a TUF repository of static files — metadata, the change
 * session and its garbage collection, keys, stores (a folder, S3), the static server, and the
 * client an instance reads it with (tuf-js).
 * @packageDocumentation
 */
export { initFeed } from './init.ts';
export { FeedSession } from './session.ts';
export { DEFAULT_EXPIRY, BINS, blobPath, readMetadata } from './metadata.ts';
export type { FeedKeys, OnlineKeys, ExpiryDays } from './metadata.ts';
export { createKeys, loadKey, generateKey } from './keys.ts';
export type { KeyAlgorithm, SigningKey, KeyStoreOptions, GeneratedKey } from './keys.ts';
export { KeyRing, RELEASE_KEY, TOP_ROLES } from './key-ring.ts';
export { LocalStore, openStore } from './store.ts';
export type { FeedStore } from './store.ts';
export { feedStatus, refreshFeed, rotateKey } from './maintain.ts';
export type { RoleStatus, ChannelStatus, RefreshKeys, RotateOptions } from './maintain.ts';
export { serveFeed, cacheControlFor } from './serve.ts';
export type { ServeOptions } from './serve.ts';
export { FeedClient, feedError } from './client.ts';
