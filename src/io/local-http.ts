import { readFile } from 'node:fs/promises';
import { http } from './node-http.ts';

/** What a call to a local HTTP server answered. */
export interface LocalAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP/1.1 call to a server on this machine (the agent's API), with node:http rather than
 * fetch: a short CLI command that asks the agent spends about a third of its time loading fetch's
 * undici (bench/startup.ts, `status --root`). Errors are node:http's own ("connect ECONNREFUSED
 * 127.0.0.1:…"), which say more than fetch's "fetch failed".
 */
export function callLocal(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<LocalAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = http.request(
      url,
      {
        method: options.method,
        headers: { ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The user id of the process listening on 127.0.0.1:`port`, from Linux's /proc/net/tcp; null when
 * nothing listens there or this cannot be told (no /proc). The CLI checks it before it sends the
 * agent's token: another user who took the port while the agent re-executed gets nothing.
 */
export async function listenerUid(port: number): Promise<number | null> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid …; st 0A is LISTEN
    if (f[1] === local && f[3] === '0A') return Number(f[7]);
  }
  return null;
}
