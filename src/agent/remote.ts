import { readFile } from 'node:fs/promises';
import { SlipwayError, isErrorCode } from '../core/errors.ts';
import type { Layout } from './layout.ts';
import { alive } from '../io/lock-file.ts';

/** The running agent's local API, when there is one: the CLI sends changes through it so the agent's supervisor restarts the app. */
export interface AgentApi {
  url: string;
  call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
}

export async function findAgent(layout: Layout): Promise<AgentApi | null> {
  let info: { url: string; pid: number };
  try {
    info = JSON.parse(await readFile(layout.api, 'utf8')) as { url: string; pid: number };
  } catch {
    return null;
  }
  if (!alive(info.pid)) return null;
  const token = (await readFile(layout.token, 'utf8').catch(() => '')).trim();
  if (token === '') return null;
  return {
    url: info.url,
    async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
      const r = await fetch(`${info.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30 * 60_000),
      }).catch((error: unknown) => {
        // Its api.json names a live pid, but nothing answers (it is starting, or stopping).
        throw new SlipwayError(
          'AGENT_ERROR',
          `the agent (pid ${info.pid}) did not answer at ${info.url}: ${(error as Error).message}; try again in a moment`,
          { cause: error },
        );
      });
      const data = (await r.json()) as T & { error?: string; message?: string };
      if (!r.ok)
        throw new SlipwayError(
          isErrorCode(data.error) ? data.error : 'AGENT_ERROR',
          data.message ?? `the agent answered HTTP ${r.status}`,
        );
      return data;
    },
  };
}
