/**
 * `slipway/testing`: scratch git repositories, a signed sample feed served on 127.0.0.1 and the
 * sample app's release builder — for Slipway's own tests and for users testing their setup.
 * @packageDocumentation
 */
export { ScratchRepo } from './scratch-repo.ts';
export { buildSampleRelease } from './sample-app.ts';
export type { SampleBuild } from './sample-app.ts';
export { createSampleFeed, SAMPLE_PASSPHRASE_ENV } from './sample-feed.ts';
export type { SampleFeed } from './sample-feed.ts';
export { freePort } from '../io/free-port.ts';
export { plainManifest } from './manifests.ts';
