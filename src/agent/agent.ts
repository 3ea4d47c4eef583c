import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { SlipwayError } from '../core/errors.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { AppProcess } from './app-process.ts';
import { CONFIG_KEYS, getKey, setKey, writeAgentConfig } from './config.ts';
import { Instance, systemClock, type ApplyResult, type Clock } from './instance.ts';
import { Layout } from './layout.ts';
import { acquireLock } from '../io/lock-file.ts';
import { describeStatus } from './report.ts';
import { appendHistory, writeState } from './state.ts';

export interface AgentOptions {
  clock?: Clock;
  log?: (line: string) => void;
  /** Delay before the first check (default: a random 0–60 s so a fleet restarted together does not stampede). */
  firstCheckMs?: number;
  /** How often the agent looks at its timers (default 15 s). */
  tickMs?: number;
  serverZone?: string;
  env?: NodeJS.ProcessEnv;
}

/** The Settings › Updates page: static files next to this module (copied into dist/ by the build). */
async function loadUi(): Promise<Map<string, { type: string; body: Buffer }>> {
  const dir = new URL('./ui/', import.meta.url);
  const files: [string, string, string][] = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/ui.js', 'ui.js', 'text/javascript; charset=utf-8'],
    ['/ui.css', 'ui.css', 'text/css; charset=utf-8'],
  ];
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const [path, name, type] of files) out.set(path, { type, body: await readFile(new URL(name, dir)) });
  return out;
}

/** The next check: the interval, give or take 10 % at random, so a fleet spreads its load on the feed. */
export function withJitter(intervalMs: number, random = Math.random): number {
  return Math.round(intervalMs * (0.9 + 0.2 * random()));
}

/**
 * `slipway agent`: supervises the app, checks the feed every update.check-interval (with jitter),
 * stages what it finds, applies it now or at the next maintenance window (security releases at
 * once unless update.security-bypass-window is false), and serves the local API on 127.0.0.1.
 */
export class Agent {
  readonly instance: Instance;
  readonly app: AppProcess;
  private server: FastifyInstance | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextCheck = 0;
  private busy: Promise<unknown> = Promise.resolve();
  private releaseAgentLock: (() => Promise<void>) | null = null;
  private readonly options: AgentOptions;
  url: string | null = null;

  private constructor(instance: Instance, app: AppProcess, options: AgentOptions) {
    this.instance = instance;
    this.app = app;
    this.options = options;
  }

  static async create(root: string, options: AgentOptions = {}): Promise<Agent> {
    const layout = new Layout(root);
    const log = options.log ?? (() => undefined);
    let instance: Instance | null = null;
    const app = new AppProcess({
      pidFile: layout.appPid,
      logFile: join(layout.state, 'app.log'),
      supervised: true,
      log: (l) => void instance?.log(l),
    });
    instance = await Instance.open(root, {
      app,
      log,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.serverZone ? { serverZone: options.serverZone } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    return new Agent(instance, app, options);
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Serializes the agent's own work (checks, applies, API calls that change things). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    const layout = this.instance.layout;
    this.releaseAgentLock = await acquireLock(layout.agentLock, {
      held: (owner) =>
        new SlipwayError(
          'LOCKED',
          `an agent for this install root is running already (pid ${owner ?? 'unknown'} holds ${layout.agentLock}); wait for it to finish`,
        ),
    });
    for (const w of this.instance.warnings) await this.instance.log(`agent.json: ${w}`);
    await this.instance.exclusive(async () => {
      const state = await this.instance.state();
      if (state.current) {
        const { manifest, dir } = await this.instance.manifestOf(state.current);
        await this.app.start(this.instance.runtime(state.current, dir, manifest).run);
        await this.instance.log(`agent started; running ${state.current}`);
      } else await this.instance.log('agent started; nothing installed yet');
    }, 30_000);
    await this.listen();
    this.nextCheck = this.clock.now().getTime() + (this.options.firstCheckMs ?? Math.round(Math.random() * 60_000));
    const tick = this.options.tickMs ?? 15_000;
    this.timer = setInterval(() => void this.tick(), tick);
    this.timer.unref();
  }

  /** What the timer does: a check when one is due, and the staged release when its window opens. */
  async tick(): Promise<void> {
    await this.serial(async () => {
      const now = this.clock.now().getTime();
      try {
        if (now >= this.nextCheck) {
          this.nextCheck = now + withJitter(parseDuration(this.instance.config.update['check-interval']));
          await this.checkAndUpdate();
        }
        const r = await this.instance.applyStagedIfDue();
        if (r) await this.instance.log(`window open: ${r.outcome} ${r.from ?? ''} → ${r.to}`);
      } catch (error) {
        const message = (error as Error).message;
        await this.instance.log(`check failed: ${message}`);
        // `slipway status` and the page show it until a check succeeds.
        const state = await this.instance.state();
        state.lastCheck = {
          at: this.clock.now().toISOString(),
          available: state.lastCheck?.available ?? null,
          error: message,
        };
        await writeState(this.instance.layout.stateFile, state).catch(() => undefined);
      }
    });
  }

  /** One check: stage what is new; apply it now, or in the window. */
  async checkAndUpdate(): Promise<ApplyResult> {
    const r = this.instance.config.update.auto
      ? await this.instance.update({ respectWindow: true })
      : await this.stageOnly();
    const state = await this.instance.state();
    state.lastCheck = {
      at: this.clock.now().toISOString(),
      available: r.outcome === 'up-to-date' ? null : r.to,
      error: null,
    };
    await writeState(this.instance.layout.stateFile, state);
    return r;
  }

  private async stageOnly(): Promise<ApplyResult> {
    const check = await this.instance.check();
    const target = check.selection.target;
    if (!target) return { from: check.current, to: check.current ?? '', outcome: 'up-to-date', ms: 0 };
    await this.instance.exclusive(() => this.instance.stage(target, this.instance.feedClient()));
    return { from: check.current, to: target.version, outcome: 'staged', ms: 0, applyAt: null };
  }

  private async listen(): Promise<void> {
    const layout = this.instance.layout;
    const token = (await readFile(layout.token, 'utf8').catch(() => null))?.trim() ?? randomBytes(32).toString('hex');
    await writeFileAtomic(layout.token, `${token}\n`, 0o600);
    const expected = Buffer.from(`Bearer ${token}`);
    const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
    const ui = await loadUi();
    let allowedHosts = new Set<string>();
    app.addHook('onRequest', async (req, reply) => {
      // Only 127.0.0.1/localhost by name: a page elsewhere cannot reach the API through DNS rebinding.
      if (!allowedHosts.has(req.headers.host ?? '')) {
        await reply
          .code(421)
          .send({ error: 'MISDIRECTED', message: 'the agent answers only on 127.0.0.1 and localhost' });
        return;
      }
      if (req.method === 'GET' && ui.has(req.url)) return;
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        await reply
          .code(401)
          .header('www-authenticate', 'Bearer')
          .send({
            error: 'UNAUTHORIZED',
            message: `send the token in ${layout.token} as Authorization: Bearer <token>`,
          });
      }
    });
    app.setErrorHandler(async (error, _req, reply) => {
      const e = error as SlipwayError;
      const input = [
        'USAGE',
        'INVALID_VERSION',
        'NOT_PUBLISHED',
        'NOT_KEPT',
        'YANKED',
        'PREFLIGHT',
        'NOTHING_TO_ROLL_BACK',
        'CONFIG_INVALID',
      ].includes(e.code);
      await reply
        .code(e.code === 'LOCKED' ? 409 : input ? 400 : 500)
        .send({ error: e.code ?? 'ERROR', message: e.message });
    });
    const i = this.instance;
    for (const [path, file] of ui) {
      app.get(path, async (_req, reply) =>
        reply
          .header('content-type', file.type)
          .header('cache-control', 'no-store')
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header(
            'content-security-policy',
            "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
          )
          .send(file.body),
      );
    }
    app.get('/api/status', async () => describeStatus(i, this));
    app.get('/api/check', async () => i.check());
    app.get('/api/history', async () => ({ history: await i.history() }));
    app.get('/api/config', () => ({
      settings: Object.fromEntries(Object.keys(CONFIG_KEYS).map((k) => [k, getKey(i.config, k)])),
    }));
    app.put<{ Body: { key?: unknown; value?: unknown } }>('/api/config', async (req) => {
      const { key, value } = req.body ?? {};
      if (typeof key !== 'string' || typeof value !== 'string')
        throw new SlipwayError('USAGE', 'send {"key": "update.channel", "value": "beta"}');
      const next = setKey(i.config, key, value);
      await writeAgentConfig(layout.agentConfig, next);
      await i.reloadConfig();
      await i.log(`config: ${key} = ${value}`);
      await appendHistory(layout.history, {
        at: new Date().toISOString(),
        event: 'config-changed',
        reason: `${key} = ${JSON.stringify(getKey(i.config, key))}`,
      });
      return { key, value: getKey(i.config, key) };
    });
    app.post<{ Body: { version?: string; force?: boolean } }>('/api/update', async (req) =>
      this.serial(() =>
        i.update({ ...(req.body?.version ? { version: req.body.version } : {}), force: req.body?.force === true }),
      ),
    );
    app.post<{ Body: { version?: string } }>('/api/rollback', async (req) =>
      this.serial(() => i.rollback(req.body?.version ? { version: req.body.version } : {})),
    );
    app.post('/api/check-now', async () => this.serial(() => this.checkAndUpdate()));
    const address = await app.listen({ host: '127.0.0.1', port: i.config.api.port });
    const port = (app.server.address() as { port: number }).port;
    allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.server = app;
    this.url = address;
    await writeFileAtomic(layout.api, `${JSON.stringify({ url: address, pid: process.pid })}\n`, 0o600);
    await i.log(`local API on ${address} (token in ${layout.token})`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    await this.server?.close();
    await rm(this.instance.layout.api, { force: true });
    await this.app.stop();
    await this.instance.log('agent stopped');
    await this.releaseAgentLock?.();
  }
}
