import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AffectingAdvisory } from '../core/advisory/feed.ts';
import { affectingText } from '../core/advisory/feed.ts';
import { SlipwayError } from '../core/errors.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock } from '../io/lock-file.ts';
import { readOptional } from '../io/optional-read.ts';
import type { AgentConfig } from './config.ts';
import type { Layout } from './layout.ts';
import type { Notices } from './notices.ts';
import { readOperators, type NotifyEvent, type Operator } from './operators.ts';
import type { HistoryEntry } from './state.ts';

/**
 * Notifications: what happened to an instance, sent to each operator who asked for that event, by
 * webhook (JSON, signed with an HMAC-SHA256 header) and by email (SMTP through nodemailer).
 *
 * Nothing is lost and nothing blocks an update: an event is written to the outbox
 * (state/outbox/, one file per delivery, atomically) and delivered afterwards, by whichever
 * process drains the outbox first (the agent at each tick; a CLI command right after it acts).
 * A failed delivery is retried with exponential backoff; one that keeps failing, or that the
 * receiver refuses for good (a 4xx, an SMTP 5xx), moves to state/outbox/failed/ with its error.
 */
export interface Notification {
  id: string;
  /** What happened; `test` comes only from slipway notify test. */
  event: NotifyEvent | 'test';
  at: string;
  instance: { host: string; root: string };
  /** The installed version when it happened. */
  version: string | null;
  /** The release it is about (the update's target, the held release), when there is one. */
  target: string | null;
  title: string;
  text: string;
  reason?: string;
  advisory?: AffectingAdvisory;
}

export interface Delivery {
  id: string;
  operator: string;
  /** Which operator of that name (a prefix of their token's hash): a later namesake never gets it. */
  operatorKey: string;
  channel: 'webhook' | 'email';
  attempts: number;
  nextAt: string;
  lastError: string | null;
  notification: Notification;
}

export interface Sent {
  delivered: number;
  retrying: number;
  failed: number;
  errors: string[];
}

/** Backoff between attempts: 15 s, 1 min, 4 min, 16 min, about an hour; then the delivery has failed. */
export const MAX_ATTEMPTS = 6;
/** Deliveries under way at once. */
const CONCURRENCY = 8;
const backoffMs = (attempts: number): number => Math.min(15_000 * 4 ** (attempts - 1), 3_600_000);

const outboxDir = (layout: Layout): string => join(layout.state, 'outbox');
const failedDir = (layout: Layout): string => join(layout.state, 'outbox', 'failed');
const notifiedFile = (layout: Layout): string => join(layout.state, 'notified.json');

export interface NotifyContext {
  layout: Layout;
  config: AgentConfig;
  env: NodeJS.ProcessEnv;
  now(): Date;
  log(line: string): Promise<void>;
}

/** What a history entry tells the operators, if anything. */
export function fromHistory(e: Omit<HistoryEntry, 'at'>): Omit<Notification, 'id' | 'at' | 'instance'> | null {
  const from = (e.from as string | null | undefined) ?? null;
  const to = (e.to as string | null | undefined) ?? null;
  const reason = e.reason as string | undefined;
  const base = { version: from, target: to, ...(reason ? { reason } : {}) };
  switch (e.event) {
    case 'installed':
    case 'updated':
      return {
        ...base,
        version: to,
        event: 'applied',
        title: e.event === 'installed' ? `Installed ${to}` : `Updated ${from} → ${to}`,
        text: `${to} is running and answered its health check.`,
      };
    case 'update-failed':
      return {
        ...base,
        version: from,
        event: 'rolled-back',
        title: `The update to ${to} failed and was rolled back to ${from ?? 'nothing'}`,
        text: `Why: ${reason ?? 'unknown'}. ${to} is held back until an operator applies it by hand.`,
      };
    case 'rolled-back':
      return {
        ...base,
        version: to,
        event: 'rolled-back',
        title: `Rolled back ${from} → ${to}`,
        text: `Why: ${reason ?? 'unknown'}.`,
      };
    case 'recovered':
      return {
        ...base,
        version: to,
        event: 'rolled-back',
        title: `Recovered after an interruption: running ${to}`,
        text: `Why: ${reason ?? 'unknown'}.`,
      };
    case 'attention':
      return {
        ...base,
        version: to,
        event: 'rolled-back',
        title: `NEEDS ATTENTION: a way back failed; running ${to ?? 'nothing'}`,
        text: reason ?? '',
      };
    case 'rejected':
      return {
        ...base,
        event: 'held',
        title: `${to} was refused and is held back`,
        text: `Why: ${reason ?? 'unknown'}. It is not retried by itself; apply it by hand once fixed (slipway update --version ${to}).`,
      };
    case 'staged':
      return {
        ...base,
        event: 'staged',
        title: `${to} is staged`,
        text: `${to} was downloaded and verified; ${reason ?? 'it applies at the next maintenance window'}.`,
      };
    default:
      return null;
  }
}

/** What a check found that the operators should hear once: an update, advisories, the line's support. */
export function fromCheck(
  current: string | null,
  available: { version: string; why: string } | null,
  notices: Notices | null,
): { key: string; n: Omit<Notification, 'id' | 'at' | 'instance'> }[] {
  const out: { key: string; n: Omit<Notification, 'id' | 'at' | 'instance'> }[] = [];
  if (available)
    out.push({
      key: `update-available:${available.version}`,
      n: {
        event: 'update-available',
        version: current,
        target: available.version,
        title: `${available.version} is available`,
        text: `${available.version} is on the channel (this instance runs ${current ?? 'nothing'}); ${available.why}.`,
      },
    });
  if (notices && current !== null && notices.version === current) {
    for (const a of notices.advisories)
      out.push({
        key: `advisory:${a.id}:${current}`,
        n: {
          event: 'advisory',
          version: current,
          target: a.fixedIn[0] ?? null,
          title: `${current} is affected by ${a.id} (${a.severity})`,
          text: affectingText(current, a),
          advisory: a,
        },
      });
    const s = notices.support;
    if (s?.warning)
      out.push({
        key: `end-of-life:${s.line}:${s.status}`,
        n: {
          event: 'end-of-life',
          version: current,
          target: null,
          title: s.status === 'eol' ? `${s.line} reached its end of life` : `${s.line} gets security fixes only`,
          text: s.warning,
        },
      });
  }
  return out;
}

/** Writes one delivery per operator and channel that wants this event; `key` sends it only once. */
export async function emit(
  ctx: NotifyContext,
  what: Omit<Notification, 'id' | 'at' | 'instance'>,
  key?: string,
  /** Send to these operators whatever events they chose (a test). */
  only?: readonly string[],
): Promise<number> {
  if (key !== undefined) {
    const seen = await readNotified(ctx.layout);
    if (seen[key]) return 0;
    seen[key] = ctx.now().toISOString();
    await writeFileAtomic(notifiedFile(ctx.layout), `${JSON.stringify(seen, null, 2)}\n`, 0o600);
  }
  const operators = (await readOperators(ctx.layout)).filter((o) =>
    only ? only.includes(o.name) : what.event !== 'test' && o.events.includes(what.event),
  );
  if (operators.length === 0) return 0;
  const n: Notification = {
    id: randomBytes(8).toString('hex'),
    at: ctx.now().toISOString(),
    instance: { host: hostname(), root: ctx.layout.root },
    ...what,
  };
  await mkdir(outboxDir(ctx.layout), { recursive: true, mode: 0o700 });
  let written = 0;
  for (const o of operators) {
    const channels: Delivery['channel'][] = [];
    if (o.webhook) channels.push('webhook');
    if (o.email) channels.push('email');
    for (const channel of channels) {
      const d: Delivery = {
        id: `${n.id}-${o.name}-${channel}`,
        operator: o.name,
        operatorKey: o.tokenHash.slice(0, 16),
        channel,
        attempts: 0,
        nextAt: n.at,
        lastError: null,
        notification: n,
      };
      await writeDelivery(outboxDir(ctx.layout), d);
      written++;
    }
  }
  return written;
}

async function readNotified(layout: Layout): Promise<Record<string, string>> {
  const text = await readOptional(notifiedFile(layout), 'utf8');
  try {
    return text === null ? {} : (JSON.parse(text) as Record<string, string>);
  } catch {
    return {};
  }
}

/** Outbox files are named by the delivery's id, which is hex, the operator's name and the channel. */
const fileOf = (d: Delivery): string => `${d.id}.json`;
const writeDelivery = (dir: string, d: Delivery): Promise<void> =>
  writeFileAtomic(join(dir, fileOf(d)), `${JSON.stringify(d, null, 2)}\n`, 0o600);

const DeliverySchema = z.object({
  id: z.string().regex(/^[0-9a-f]{16}-[A-Za-z0-9._-]+-(webhook|email)$/),
  operator: z.string(),
  operatorKey: z.string().regex(/^[0-9a-f]{16}$/),
  channel: z.enum(['webhook', 'email']),
  attempts: z.number().int().min(0),
  nextAt: z.string().refine((v) => !Number.isNaN(Date.parse(v))),
  lastError: z.string().nullable(),
  notification: z
    .object({
      id: z.string(),
      event: z.string(),
      at: z.string(),
      instance: z.object({ host: z.string(), root: z.string() }),
      version: z.string().nullable(),
      target: z.string().nullable(),
      title: z.string(),
      text: z.string(),
    })
    .loose(),
});

/**
 * The deliveries in a folder. A file that is not one (hand-edited, garbage, or named other than
 * its id) is set aside as `<name>.invalid` with a log line, never sent and never blocking the rest.
 */
async function listDir(dir: string, log?: (line: string) => Promise<void>): Promise<Delivery[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Delivery[] = [];
  for (const name of names.filter((f) => f.endsWith('.json')).sort()) {
    let d: Delivery | null = null;
    try {
      const r = DeliverySchema.safeParse(JSON.parse((await readFile(join(dir, name), 'utf8')).replace(/^\uFEFF/, '')));
      const parsed = r.success ? (r.data as unknown as Delivery) : null;
      if (parsed && fileOf(parsed) === name) d = parsed;
    } catch {
      d = null;
    }
    if (d) out.push(d);
    else if (log) {
      await rename(join(dir, name), join(dir, `${name}.invalid`)).catch(() => undefined);
      await log(`notifications: ${join(dir, name)} is not a delivery; set aside as ${name}.invalid`);
    }
  }
  return out;
}

/** The deliveries waiting (and when they are retried) and those that failed for good. */
export async function outbox(layout: Layout): Promise<{ pending: Delivery[]; failed: Delivery[] }> {
  return { pending: await listDir(outboxDir(layout)), failed: await listDir(failedDir(layout)) };
}

class Refused extends Error {}

/** Sends the deliveries that are due, once each; never throws. Skips when another process is draining. */
export async function drain(
  ctx: NotifyContext,
  options: { all?: boolean; only?: (d: Delivery) => boolean } = {},
): Promise<Sent> {
  const sent: Sent = { delivered: 0, retrying: 0, failed: 0, errors: [] };
  let release: (() => Promise<void>) | null = null;
  try {
    await mkdir(outboxDir(ctx.layout), { recursive: true, mode: 0o700 });
    release = await acquireLock(join(outboxDir(ctx.layout), '.lock'), {
      timeoutMs: options.only ? 30_000 : 0,
      held: () => new SlipwayError('LOCKED', 'the outbox is being sent by another process'),
    });
  } catch (error) {
    sent.errors.push((error as Error).message);
    return sent;
  }
  try {
    let operators: Map<string, Operator>;
    try {
      operators = new Map((await readOperators(ctx.layout)).map((o) => [o.name, o]));
    } catch (error) {
      // Nothing is sent and nothing is dropped until the list can be read again.
      await ctx.log(`ALERT: notifications wait: ${(error as Error).message}`);
      sent.errors.push((error as Error).message);
      return sent;
    }
    const dir = outboxDir(ctx.layout);
    const due = (await listDir(dir, (l) => ctx.log(l))).filter(
      (d) => (options.only ? options.only(d) : true) && (options.all || Date.parse(d.nextAt) <= ctx.now().getTime()),
    );
    const drop = async (d: Delivery, why: string): Promise<void> => {
      await rm(join(dir, fileOf(d)), { force: true });
      await ctx.log(`notification "${d.notification.title}" to ${d.operator} dropped: ${why}`);
    };
    // A few at a time: one slow receiver does not hold up the others.
    const work = due.map((d) => async () => {
      const o = operators.get(d.operator);
      if (!o || o.tokenHash.slice(0, 16) !== d.operatorKey) return drop(d, 'the operator was removed');
      d.attempts++;
      try {
        await deliver(ctx, o, d);
        await rm(join(dir, fileOf(d)), { force: true });
        sent.delivered++;
      } catch (error) {
        d.lastError = (error as Error).message;
        const where = `${d.channel} to ${d.operator}`;
        if (error instanceof Refused || d.attempts >= MAX_ATTEMPTS) {
          await mkdir(failedDir(ctx.layout), { recursive: true, mode: 0o700 });
          await writeDelivery(failedDir(ctx.layout), d);
          await rm(join(dir, fileOf(d)), { force: true });
          sent.failed++;
          sent.errors.push(`${where}: ${d.lastError} (given up after ${d.attempts} attempt(s))`);
          await ctx.log(`ALERT: notification "${d.notification.title}" (${where}) failed for good: ${d.lastError}`);
        } else {
          d.nextAt = new Date(ctx.now().getTime() + backoffMs(d.attempts)).toISOString();
          await writeDelivery(dir, d);
          sent.retrying++;
          sent.errors.push(`${where}: ${d.lastError} (retried at ${d.nextAt})`);
          await ctx.log(`notification ${where} failed (${d.lastError}); retrying at ${d.nextAt}`);
        }
      }
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) await work[next++]!();
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, work.length) }, worker));
  } catch (error) {
    await ctx.log(`notifications: ${(error as Error).message}`);
  } finally {
    await release?.();
  }
  return sent;
}

/** Delivers one notification; throws Refused when retrying cannot help. */
async function deliver(ctx: NotifyContext, o: Operator, d: Delivery): Promise<void> {
  if (d.channel === 'webhook') return deliverWebhook(ctx, o, d);
  return deliverEmail(ctx, o, d);
}

/** The HMAC header a receiver checks: sha256=<hex of HMAC-SHA256(secret, raw body)>. */
export const SIGNATURE_HEADER = 'x-slipway-signature-256';
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function deliverWebhook(ctx: NotifyContext, o: Operator, d: Delivery): Promise<void> {
  if (!o.webhook) throw new Refused(`${o.name} has no webhook any more`);
  const body = JSON.stringify(d.notification);
  const timeout = parseDuration(ctx.config.notify['webhook-timeout']);
  let r: Response;
  try {
    r = await fetch(o.webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'slipway',
        'x-slipway-event': d.notification.event,
        'x-slipway-delivery': d.id,
        [SIGNATURE_HEADER]: signBody(o.webhook.secret, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    throw new Error(
      e.name === 'TimeoutError'
        ? `no answer within ${ctx.config.notify['webhook-timeout']}`
        : `${new URL(o.webhook.url).host}: ${e.cause?.code ?? e.message}`,
    );
  }
  await r.body?.cancel().catch(() => undefined);
  if (r.ok) return;
  const why = `${new URL(o.webhook.url).host} answered HTTP ${r.status}`;
  if (r.status >= 300 && r.status < 400)
    throw new Refused(`${why} (a redirect, which is never followed: set the webhook to the final URL)`);
  if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) throw new Refused(why);
  throw new Error(why);
}

async function deliverEmail(ctx: NotifyContext, o: Operator, d: Delivery): Promise<void> {
  const c = ctx.config.notify;
  if (!o.email) throw new Refused(`${o.name} has no email address any more`);
  if (!c['smtp-host'] || !c['smtp-from'])
    throw new Error('no SMTP server is set: slipway config set notify.smtp-host <host> and notify.smtp-from <address>');
  let pass = ctx.env.SLIPWAY_SMTP_PASSWORD;
  if (c['smtp-password-file']) {
    const text = await readOptional(c['smtp-password-file'], 'utf8');
    if (text === null) throw new Error(`notify.smtp-password-file ${c['smtp-password-file']} cannot be read`);
    pass = text.trim();
  }
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: c['smtp-host'],
    port: c['smtp-port'],
    secure: c['smtp-secure'],
    // A password never goes over plain text: without TLS from the start, STARTTLS is required.
    requireTLS: Boolean(c['smtp-user']) && !c['smtp-secure'],
    ...(c['smtp-user'] ? { auth: { user: c['smtp-user'], pass: pass ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  const n = d.notification;
  try {
    await transport.sendMail({
      from: c['smtp-from'],
      to: o.email,
      subject: `[slipway] ${n.instance.host}: ${n.title}`,
      text: `${n.title}\n\n${n.text}\n\nInstance: ${n.instance.host} (${n.instance.root})\nVersion: ${n.version ?? 'nothing installed'}\nAt: ${n.at}\n`,
      headers: { 'X-Slipway-Event': n.event, 'X-Slipway-Delivery': d.id },
    });
  } catch (error) {
    const e = error as Error & { responseCode?: number; code?: string };
    const why = `${c['smtp-host']}:${c['smtp-port']}: ${e.responseCode ? `${e.responseCode} ` : ''}${e.message.replace(/\s+/g, ' ').slice(0, 300)}`;
    if (e.responseCode !== undefined && e.responseCode >= 500) throw new Refused(why);
    throw new Error(why);
  } finally {
    transport.close();
  }
}

/** Moves the failed deliveries back into the outbox (slipway notify status --retry). */
export async function retryFailed(layout: Layout): Promise<number> {
  const failed = await listDir(failedDir(layout));
  await mkdir(outboxDir(layout), { recursive: true, mode: 0o700 });
  for (const d of failed) {
    d.attempts = 0;
    d.nextAt = new Date(0).toISOString();
    await writeDelivery(outboxDir(layout), d);
    await rm(join(failedDir(layout), fileOf(d)), { force: true });
  }
  return failed.length;
}
