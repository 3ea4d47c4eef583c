import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listen } from '../http/router.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock } from '../io/lock-file.ts';
import { readOptional } from '../io/optional-read.ts';
import { isSingleExecutable, readPackaged } from '../io/packaged.ts';
import { SlipwayError } from '../core/errors.ts';
import { AppProcess, type AppRuntime } from './app-process.ts';
import { Layout } from './layout.ts';

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
  const text = await readOptional(leanFile(layout), 'utf8');
  await rm(leanFile(layout), { force: true });
  let h: LeanHandover;
  try {
    h = JSON.parse(text ?? '') as LeanHandover;
  } catch {
    return full();
  }
  if (Date.now() - h.at > 60_000) return full();
  const log = (line: string) =>
    appendFile(layout.log, `${new Date().toISOString()} ${line}\n`).catch(() => undefined) as Promise<void>;
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
  let timer: NodeJS.Timeout | null = null;
  /** Back to the full agent, handing the app over as the full agent does to an executable. */
  const wake = async (why: string): Promise<never> => {
    waking = true;
    if (timer) clearTimeout(timer);
    await server?.close().catch(() => undefined);
    await rm(layout.api, { force: true });
    const kept = app.detach();
    if (kept)
      await writeFileAtomic(
        layout.handover,
        `${JSON.stringify({ ...kept, at: Date.now(), port: h.port, nextCheck: h.nextCheck })}\n`,
        0o600,
      );
    await log(`waking the full agent: ${why}`);
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
  const open = async (port: number) =>
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
              res.writeHead(200, {
                'content-type': file[1],
                'cache-control': 'no-store',
                'x-content-type-options': 'nosniff',
              });
              res.end(body);
            },
            () => {
              res.writeHead(500).end();
            },
          );
          return;
        }
        // Asked for work: the full agent answers in a moment (clients retry on 503 with Retry-After).
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ error: 'AGENT_ERROR', message: 'the agent is waking up; try again in a second' }));
        if (!waking) void wake(`${req.method} ${path}`);
      },
      { host: '127.0.0.1', port },
    );
  server = await open(h.port).catch(() => open(0));
  await writeFileAtomic(layout.api, `${JSON.stringify({ url: server.url, pid: process.pid, lean: true })}\n`, 0o600);
  app.onExit((why) => void wake(`the app ${why}`));
  timer = setTimeout(
    () => void wake('the next check is due'),
    Math.max(0, Math.min(h.nextCheck - Date.now(), 2 ** 31 - 1)),
  );
  await log(`lean: holding ${h.version} (pid ${h.pid}) until the next check at ${new Date(h.nextCheck).toISOString()}`);
  await stopped;
  if (timer) clearTimeout(timer);
  await server.close();
  await rm(layout.api, { force: true });
  await app.stop();
  await log('agent stopped');
  await releaseLock();
}
