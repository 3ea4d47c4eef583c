import { readFile, stat } from 'node:fs/promises';
import { SlipwayError, isErrorCode } from '../core/errors.ts';
import type { Layout } from './layout.ts';
import { alive, lockHolder } from '../io/lock-file.ts';
import { callLocal, listenerUid } from '../io/local-http.ts';

/** The running agent's local API, when there is one: the CLI sends changes through it so the agent's supervisor restarts the app. */
export interface AgentApi {
  url: string;
  call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
}

async function readInfo(layout: Layout): Promise<{ url: string; pid: number } | null> {
  try {
    return JSON.parse(await readFile(layout.api, 'utf8')) as { url: string; pid: number };
  } catch {
    return null;
  }
}

export async function findAgent(layout: Layout): Promise<AgentApi | null> {
  let info = await readInfo(layout);
  // An agent between its lean and its full self (a re-exec, well under a second) holds its lock
  // but has no api.json yet: wait for it, up to 5 s.
  const holder = lockHolder(layout.agentLock);
  for (let i = 0; i < 50 && info === null && holder !== null && alive(holder); i++) {
    await new Promise((done) => setTimeout(done, 100));
    info = await readInfo(layout);
  }
  if (info === null || !alive(info.pid)) return null;
  const token = (await readFile(layout.token, 'utf8').catch(() => '')).trim();
  if (token === '') return null;
  return {
    url: info.url,
    async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
      // An idle agent is lean (lean.ts): it answers 503 while it re-executes into the full agent,
      // whose address is then in api.json again. Bounded: 40 tries, about 10 s.
      for (let attempt = 0; ; attempt++) {
        const current = await readInfo(layout);
        const url = current?.url ?? info.url;
        // Not the agent's: it may be moving to another port (api.json then says so); else refused.
        const stranger = await strangerAt(url, current?.pid ?? info.pid);
        if (stranger !== null) {
          if (attempt < 40 && alive(info.pid)) {
            await new Promise((done) => setTimeout(done, 250));
            continue;
          }
          throw new SlipwayError('AGENT_ERROR', stranger);
        }
        const r = await callLocal(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: 30 * 60_000,
        }).catch((error: unknown) => {
          if (attempt < 40 && alive(info.pid)) return null;
          // Its api.json names a live pid, but nothing answers (it is starting, or stopping).
          throw new SlipwayError(
            'AGENT_ERROR',
            `the agent (pid ${info.pid}) did not answer at ${url}: ${(error as Error).message}; try again in a moment`,
            { cause: error },
          );
        });
        if (r === null || (r.status === 503 && r.headers['retry-after'] !== undefined && attempt < 40)) {
          await new Promise((done) => setTimeout(done, 250));
          continue;
        }
        const ok = r.status >= 200 && r.status < 300;
        let data: T & { error?: string; message?: string };
        try {
          data = JSON.parse(r.text) as T & { error?: string; message?: string };
        } catch {
          throw new SlipwayError(
            'AGENT_ERROR',
            `the agent at ${url} answered HTTP ${r.status} with something that is not JSON: ${JSON.stringify(r.text.slice(0, 120))}`,
          );
        }
        if (!ok)
          throw new SlipwayError(
            isErrorCode(data.error) ? data.error : 'AGENT_ERROR',
            data.message ?? `the agent answered HTTP ${r.status}`,
          );
        return data;
      }
    },
  };
}

/**
 * The token goes only to the agent: the process listening at `url` must run as the agent's user
 * (null when it does, or when that cannot be told; else what to say).
 * Someone else on this machine may take the port in the moment the agent re-executes (lean and
 * back, a self-update) and would otherwise be sent the token.
 */
async function strangerAt(url: string, pid: number): Promise<string | null> {
  const port = Number(new URL(url).port);
  const [uid, agent] = await Promise.all([listenerUid(port), stat(`/proc/${pid}`).catch(() => null)]);
  if (uid === null || agent === null || uid === agent.uid) return null;
  return `${url} is served by another user's process (uid ${uid}), not the agent (pid ${pid}, uid ${agent.uid}); the token was not sent. Find it with: ss -ltnp 'sport = :${port}'; then restart the agent`;
}
