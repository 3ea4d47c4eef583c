import { appendFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listen } from '../http/router.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock, alive } from '../io/lock-file.ts';
import { readOptional } from '../io/optional-read.ts';
import { isSingleExecutable, readPackaged } from '../io/packaged.ts';
import { SlipwayError } from '../core/errors.ts';
import { AppProcess, type AppRuntime } from './app-process.ts';
import { Layout } from './layout.ts';
import { PAGE_HEADERS } from './page-headers.ts';
import { hashToken, operatorsFile, tokenMatches } from './token-hash.ts';

/**
 * The agent between its work: after a while with nothing to do, the agent re-executes itself
 * (execve, the same pid) into this small process, which holds the app (adopted, restarted if it
 * exits), the API's port and the time of the next check, and none of the code that checks,
 * verifies, migrates or renders. Anything that needs that code (an API call, the next check, the
 * app exiting) re-executes it back into the full agent, which adopts the app again. The
 * memory an idle agent holds is then this process's (bench/footprint.ts).
 */

/** What the full agent hands over when it goes lean, and the lean one when it wakes. */
export interface LeanHandover {
  pid: number;
  version: string;
  runtime: AppRuntime;
  /** The API port, kept so the page's address does not change. */
  port: number;
  /** When the next check is due (epoch ms). */
  nextCheck: number;
  at: number;
  /**
   * The full agent could not start (agent.json broken, say): the lean agent keeps the app and
   * answers API calls with why, and tries again when agent.json changes (its mtime then) or
   * every FAULT_RETRY_MS.
   */
  fault?: { code: string; message: string; configMtimeMs: number | null };
}

/** With the full agent unable to start, how often the lean one tries it again anyway. */
const FAULT_RETRY_MS = 10 * 60_000;

const mtimeOf = (path: string): Promise<number | null> =>
  stat(path).then(
    (s) => s.mtimeMs,
    () => null,
  );

const logTo = (layout: Layout) => (line: string) =>
  appendFile(layout.log, `${new Date().toISOString()} ${line}\n`).catch(() => undefined) as Promise<void>;

/** A file the lean agent must read: missing is null, anything else a clear error (not a bare errno). */
async function readLeanFile(path: string): Promise<string | null> {
  try {
    return await readOptional(path, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new SlipwayError(
      'AGENT_ERROR',
      e.code === 'EACCES' || e.code === 'EPERM'
        ? `cannot read ${path}: permission denied; run the agent as the user that owns the install root`
        : `cannot read ${path}: ${e.message}`,
    );
  }
}

/**
 * The full agent, back from lean or from an executable before it, cannot start (agent.json does
 * not parse, say). Rather than exit and leave the app with no supervisor, it goes lean again with
 * the app and the API port, and logs why; the lean agent answers API calls with the reason and
 * tries again when agent.json changes. Returns only when there is nothing to hold (no app
 * handed over, or it is gone): the caller then fails as before.
 */
export async function backToLean(root: string, error: Error & { code?: unknown }): Promise<void> {
  const layout = new Layout(root);
  const text = await readOptional(layout.handover, 'utf8').catch(() => null);
  if (text === null) return;
  let h: Partial<LeanHandover>;
  try {
    h = JSON.parse(text) as Partial<LeanHandover>;
  } catch {
    return;
  }
  if (!h.runtime || !h.pid || !h.version || Date.now() - (h.at ?? 0) > 5 * 60_000 || !alive(h.pid)) return;
  const code = typeof error.code === 'string' ? error.code : 'AGENT_ERROR';
  const lean: LeanHandover = {
    pid: h.pid,
    version: h.version,
    runtime: h.runtime,
    port: h.port ?? 0,
    nextCheck: h.nextCheck ?? Date.now() + FAULT_RETRY_MS,
    at: Date.now(),
    fault: { code, message: error.message, configMtimeMs: await mtimeOf(layout.agentConfig) },
  };
  await writeFileAtomic(leanFile(layout), `${JSON.stringify(lean)}\n`, 0o600);
  await rm(layout.handover, { force: true });
  await logTo(layout)(
    `the agent cannot start: ${error.message}; the lean agent keeps ${h.version} running (pid ${h.pid}) and tries again when agent.json changes`,
  );
  reexecSelf(['agent', '--root', layout.root, '--lean']);
}

export const leanFile = (layout: Layout): string => join(layout.state, 'lean.json');

/** Replaces this process with Slipway itself running `args` (the same pid): the executable, or node and the CLI script. */
export function reexecSelf(args: string[]): never {
  const argv = isSingleExecutable()
    ? [process.execPath, ...args]
    : [process.execPath, ...process.execArgv, process.argv[1]!, ...args];
  process.execve!(process.execPath, argv, process.env);
  throw new SlipwayError('AGENT_ERROR', `could not execute ${process.execPath}`);
}

/** Whether state/outbox holds deliveries still to make (the full agent retries them). */
export async function outboxPending(layout: Layout): Promise<boolean> {
  const names = await readdir(join(layout.state, 'outbox')).catch(() => [] as string[]);
  return names.some((n) => n.endsWith('.json'));
}

export async function runLean(root: string, stopped: Promise<void>): Promise<void> {
  const layout = new Layout(root);
  const full = (): never => reexecSelf(['agent', '--root', layout.root]);
  const text = await readLeanFile(leanFile(layout));
  await rm(leanFile(layout), { force: true });
  let h: LeanHandover;
  try {
    h = JSON.parse(text ?? '') as LeanHandover;
  } catch {
    return full();
  }
  if (Date.now() - h.at > 60_000) return full();
  const log = logTo(layout);
  const fault = h.fault ?? null;
  const releaseLock = await acquireLock(layout.agentLock, {
    heldAcrossExec: true,
    held: (owner) =>
      new SlipwayError('LOCKED', `an agent for this install root is running already (pid ${owner ?? 'unknown'})`),
  });
  const app = new AppProcess({
    pidFile: layout.appPid,
    logFile: join(layout.state, 'app.log'),
    supervised: true,
    log: (l) => void log(l),
  });
  if (!app.adopt(h.runtime, h.pid)) {
    await releaseLock();
    return full();
  }
  let waking = false;
  let server: Awaited<ReturnType<typeof listen>> | null = null;
  let lastConnection = 0;
  let timer: NodeJS.Timeout | null = null;
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  // A stop (SIGTERM) that comes while waking wins: the wake gives up at its next step, before
  // the exec, and hands the app back to the stop (which stops it), instead of starting the full
  // agent with the stop forgotten.
  let stopping = false;
  let wakeGaveUp: () => void = () => undefined;
  const wakeSettled = new Promise<void>((done) => (wakeGaveUp = done));
  const never = () => new Promise<never>(() => undefined);
  /** Back to the full agent, handing the app over as the full agent does to an executable. */
  const wake = async (why: string): Promise<never> => {
    if (waking || stopping) return never();
    waking = true;
    stopTimer();
    // Callers who came with this one (a page's three calls, a burst) are let in and answered 503
    // first: the port closes once 100 ms pass with no new connection and none open (at most 1 s),
    // so that no one is left in the kernel's queue, to be reset when it closes.
    // api.json goes first: no one new is sent here, and no one takes the draining agent for lean.
    await rm(layout.api, { force: true });
    if (server) {
      const s = server.server;
      const drainEnd = Date.now() + 1_000;
      for (;;) {
        const taken = await new Promise<number>((done) => s.getConnections((_e, n) => done(n ?? 0)));
        if (Date.now() >= drainEnd || (taken === 0 && Date.now() - lastConnection >= 100)) break;
        await new Promise((done) => setTimeout(done, 20));
      }
    }
    await server?.close(1_000).catch(() => undefined);
    if (stopping) {
      wakeGaveUp();
      return never();
    }
    const kept = app.detach();
    // The port and the next check are kept even when the app is gone (the full agent starts it again).
    await writeFileAtomic(
      layout.handover,
      `${JSON.stringify({ ...kept, runtime: h.runtime, at: Date.now(), port: server?.port ?? h.port, nextCheck: h.nextCheck })}\n`,
      0o600,
    );
    await log(`waking the full agent: ${why}`);
    if (stopping) {
      await rm(layout.handover, { force: true });
      if (kept) app.adopt(h.runtime, kept.pid);
      wakeGaveUp();
      return never();
    }
    // The agent lock stays: the same pid holds it across the exec.
    return full();
  };
  // The page's files are served from here (a page load needs no waking); its API calls wake it.
  const page: Record<string, [string, string]> = {
    '/': ['index.html', 'text/html; charset=utf-8'],
    '/ui.js': ['ui.js', 'text/javascript; charset=utf-8'],
    '/ui.css': ['ui.css', 'text/css; charset=utf-8'],
    '/banner.js': ['banner.js', 'text/javascript; charset=utf-8'],
  };
  const open = async (port: number, retryMs = 0) =>
    listen(
      (req, res) => {
        // As the full agent's router: only this machine's own names (no DNS rebinding to wake it).
        const host = req.headers.host ?? '';
        if (server && host !== `127.0.0.1:${server.port}` && host !== `localhost:${server.port}`) {
          res.writeHead(421, { 'content-type': 'text/plain' }).end('misdirected request\n');
          return;
        }
        const path = (req.url ?? '/').split('?')[0]!;
        const file = req.method === 'GET' ? page[path] : undefined;
        if (file && !waking) {
          void readPackaged(`agent/ui/${file[0]}`, () => new URL(`./ui/${file[0]}`, import.meta.url)).then(
            (body) => {
              res.writeHead(200, { 'content-type': file[1], ...PAGE_HEADERS });
              res.end(body);
            },
            () => {
              res.writeHead(500).end();
            },
          );
          return;
        }
        if (fault) {
          // The full agent cannot start: what it said, not a wake that would fail the same way.
          req.resume();
          res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
          res.end(
            JSON.stringify({
              error: fault.code,
              message: `the agent cannot start: ${fault.message}; it keeps the app running and starts again when agent.json changes`,
            }),
          );
          return;
        }
        // Only a token the full agent would take wakes it (the install's, or an operator's):
        // anyone else is refused here, as the full agent would refuse them, and cannot make the
        // agent re-execute (and so close its port) at will.
        const authorization = req.headers.authorization ?? '';
        const answer = (ok: boolean): void => {
          if (!ok) {
            req.resume();
            res.writeHead(401, {
              'content-type': 'application/json',
              'www-authenticate': 'Bearer',
              connection: 'close',
            });
            res.end(
              JSON.stringify({
                error: 'UNAUTHORIZED',
                message: `send the token in ${layout.token} (or an operator's, from slipway operator add) as Authorization: Bearer <token>`,
              }),
            );
            return;
          }
          // Asked for work: the full agent answers in a moment (clients retry on 503 with Retry-After).
          res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: 'AGENT_ERROR', message: 'the agent is waking up; try again in a second' }));
          if (!waking) void wake(`${req.method} ${path}`);
        };
        void tokenAccepted(layout, /^Bearer (\S+)$/.exec(authorization)?.[1] ?? '').then((ok) => {
          if (!res.writableEnded) answer(ok);
        });
      },
      { host: '127.0.0.1', port, retryMs },
    );
  // The port this pid closed a moment ago: tried again for a few seconds before another one.
  server = await open(h.port, 3_000).catch(async (error: Error) => {
    await log(`WARNING: the API's port ${h.port} is taken by another process (${error.message}); using another`);
    return open(0);
  });
  server.server.on('connection', () => void (lastConnection = Date.now()));
  await writeFileAtomic(layout.api, `${JSON.stringify({ url: server.url, pid: process.pid, lean: true })}\n`, 0o600);
  app.onExit((why) => void wake(`the app ${why}`));
  if (fault) {
    // agent.json fixed (or touched): the full agent tries again; and every FAULT_RETRY_MS anyway.
    const since = Date.now();
    timer = setInterval(() => {
      void mtimeOf(layout.agentConfig).then((m) => {
        if (m !== fault.configMtimeMs) void wake('agent.json changed');
        else if (Date.now() - since >= FAULT_RETRY_MS) void wake('trying the full agent again');
      });
    }, 2_000);
    await log(`lean: holding ${h.version} (pid ${h.pid}) until agent.json changes (the agent cannot start)`);
  } else {
    timer = setTimeout(
      () => void wake('the next check is due'),
      Math.max(0, Math.min(h.nextCheck - Date.now(), 2 ** 31 - 1)),
    );
    await log(
      `lean: holding ${h.version} (pid ${h.pid}) until the next check at ${new Date(h.nextCheck).toISOString()}`,
    );
  }
  await stopped;
  stopping = true;
  if (waking) await wakeSettled;
  stopTimer();
  await server.close().catch(() => undefined);
  await rm(layout.api, { force: true });
  await app.stop();
  await log('agent stopped');
  await releaseLock();
}

/**
 * Whether the full agent would take this token: the install's (state/token) or an operator's
 * (its SHA-256 in state/operators.json), compared in constant time. Read at each request, as the
 * full agent does; a garbled operators.json accepts only the install's token.
 */
async function tokenAccepted(layout: Layout, token: string): Promise<boolean> {
  if (token === '') return false;
  const install = (await readOptional(layout.token, 'utf8').catch(() => null))?.trim();
  let ok = install ? tokenMatches(token, hashToken(install)) : false;
  const operators = await readOptional(operatorsFile(layout), 'utf8').catch(() => null);
  try {
    const list = (JSON.parse(operators ?? '{}') as { operators?: { tokenHash?: unknown }[] }).operators ?? [];
    for (const o of list) if (typeof o.tokenHash === 'string') ok = tokenMatches(token, o.tokenHash) || ok;
  } catch {
    // garbled: the full agent's doctor says so; only the install's token here
  }
  return ok;
}
