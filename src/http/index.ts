/**
 * `slipway/http`: headers for host apps (a version header on every response; RFC 9745
 * `Deprecation`, RFC 8594 `Sunset` and `Link` on deprecated endpoints) and the small node:http
 * router Slipway's local servers use, and the update banner for a host app's dashboard. Loads nothing else of Slipway.
 * @packageDocumentation
 */
export { apiHeaders, apiHeadersMiddleware } from './headers.ts';
export { bannerMiddleware } from './banner.ts';
export type { BannerOptions } from './banner.ts';
export type { Deprecated, HeaderOptions } from './headers.ts';
export { createRouter, listen, statusFor, optionalString, optionalBoolean } from './router.ts';
export type { Method, Principal, Route, RouteRequest, RouterOptions, StaticFile } from './router.ts';
