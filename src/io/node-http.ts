import type * as NodeHttp from 'node:http';

/**
 * node:http, taken as Node's own CommonJS module rather than through `import … from 'node:http'`.
 * An ES module import of node:http builds its module facade, which reads every export, and the
 * lazy ones (WebSocket, EventSource …) load fetch's undici: +20 ms on every command and the
 * agent's start-up, and memory the lean agent never uses (measured in bench/startup.ts; the
 * single executable is CommonJS and never had it). Types still come from node:http.
 */
export const http: typeof NodeHttp = process.getBuiltinModule('node:http');
