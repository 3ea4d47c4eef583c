import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.ts';
import { parseJsonDocument } from '../core/json-document.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { acquireLock } from '../io/lock-file.ts';
import { readOptional } from '../io/optional-read.ts';
import type { Layout } from './layout.ts';
import { hashToken, operatorsFile, tokenMatches } from './token-hash.ts';

export { operatorsFile };

/**
 * The people who operate an instance (the panel strategy's "admins"): each has a name, a role, a
 * token of their own (kept as a SHA-256 hash; shown once, when added) and notification
 * preferences. state/operators.json, mode 600, changed under a lock and written atomically.
 */
export const NOTIFY_EVENTS = [
  'update-available',
  'staged',
  'applied',
  'rolled-back',
  'held',
  'advisory',
  'end-of-life',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const NOTIFY_EVENT_HELP: Record<NotifyEvent, string> = {
  'update-available': 'a newer release is on the channel',
  staged: 'a release was downloaded, verified and waits for the maintenance window',
  applied: 'an update was applied and is healthy',
  'rolled-back': 'an update failed and was rolled back (with the reason), or a rollback by hand',
  held: 'a release was refused (verification, preflight) and is held back',
  advisory: 'a published advisory affects the installed version',
  'end-of-life': "the installed version's line is security-only or at its end of life",
};

export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/i;
/** An address as people write it: a plain local part, a dotted domain; no comments, quotes or controls. */
const EMAIL =
  /^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** The install token's own name in the API: no operator may take it. */
const RESERVED = new Set(['root']);

const OperatorSchema = z
  .object({
    name: z.string().regex(NAME),
    role: z.enum(ROLES),
    tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
    createdAt: z.string(),
    email: z.string().regex(EMAIL).nullable(),
    webhook: z
      .object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16) })
      .strict()
      .nullable(),
    events: z.array(z.enum(NOTIFY_EVENTS)),
  })
  .strict();
export type Operator = z.output<typeof OperatorSchema>;

const OperatorsSchema = z.object({ schema: z.literal(1), operators: z.array(OperatorSchema) }).strict();

/** What an operator may be shown (never the token hash or the webhook secret). */
export interface OperatorView {
  name: string;
  role: Role;
  createdAt: string;
  email: string | null;
  webhook: string | null;
  events: NotifyEvent[];
}

export const viewOf = (o: Operator): OperatorView => ({
  name: o.name,
  role: o.role,
  createdAt: o.createdAt,
  email: o.email,
  webhook: o.webhook?.url ?? null,
  events: o.events,
});

export async function readOperators(layout: Layout): Promise<Operator[]> {
  const path = operatorsFile(layout);
  let text: string | null;
  try {
    text = await readOptional(path, 'utf8');
  } catch (error) {
    throw new SlipwayError(
      'CONFIG_INVALID',
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); restore it from a backup`,
    );
  }
  if (text === null) return [];
  const operators = parseJsonDocument(OperatorsSchema, text.replace(/^\uFEFF/, ''), {
    where: path,
    kind: 'a list of operators',
    code: 'CONFIG_INVALID',
  }).operators;
  const seen = new Set<string>();
  for (const o of operators) {
    const key = o.name.toLowerCase();
    if (seen.has(key)) throw new SlipwayError('CONFIG_INVALID', `${path} names operator "${o.name}" twice; remove one`);
    seen.add(key);
  }
  return operators;
}

/** The operator a bearer token belongs to (constant-time per comparison), or null. */
export function operatorFor(operators: readonly Operator[], token: string): Operator | null {
  let found: Operator | null = null;
  for (const o of operators) if (tokenMatches(token, o.tokenHash)) found = o;
  return found;
}

/** Changes operators.json under its lock: `fn` gets the list and returns the new one (or throws, changing nothing). */
export async function changeOperators<T>(
  layout: Layout,
  fn: (operators: Operator[]) => { operators: Operator[]; result: T },
  options: { dryRun?: boolean } = {},
): Promise<T> {
  const path = operatorsFile(layout);
  const release = await acquireLock(`${path}.lock`, {
    timeoutMs: 10_000,
    held: (pid) => new SlipwayError('LOCKED', `operators.json is being changed (pid ${pid ?? 'unknown'}); try again`),
  });
  try {
    const { operators, result } = fn(await readOperators(layout));
    const doc = OperatorsSchema.parse({ schema: 1, operators });
    if (!options.dryRun) await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
    return result;
  } finally {
    await release();
  }
}

export function parseEvents(text: string): NotifyEvent[] {
  if (text.trim() === 'all') return [...NOTIFY_EVENTS];
  if (text.trim() === 'none' || text.trim() === '') return [];
  const out: NotifyEvent[] = [];
  for (const raw of text.split(',')) {
    const e = raw.trim();
    if (!(NOTIFY_EVENTS as readonly string[]).includes(e))
      throw new SlipwayError(
        'USAGE',
        `unknown notification event "${e}"; expected a comma-separated list of ${NOTIFY_EVENTS.join(', ')} (or all, none)`,
      );
    if (!out.includes(e as NotifyEvent)) out.push(e as NotifyEvent);
  }
  return out;
}

export function checkName(name: string): string {
  if (RESERVED.has(name.toLowerCase()))
    throw new SlipwayError('USAGE', `"${name}" is the install token's name; pick another operator name`);
  if (!NAME.test(name))
    throw new SlipwayError(
      'USAGE',
      `operator name "${name}" is not valid; use letters, digits, dot, dash or underscore (up to 63), e.g. alice`,
    );
  return name;
}

export function checkEmail(email: string): string {
  if (email.length > 254 || !EMAIL.test(email))
    throw new SlipwayError('USAGE', `"${email}" is not an email address (expected name@example.com)`);
  return email;
}

export function checkWebhookUrl(url: string): string {
  if (/[\s\u0000-\u001f\u007f]/.test(url))
    throw new SlipwayError('USAGE', `webhook ${JSON.stringify(url)} contains spaces or control characters`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SlipwayError('USAGE', `webhook "${url}" is not a URL (expected https://hooks.example.com/slipway)`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new SlipwayError('USAGE', `webhook "${url}" must be http(s), got ${u.protocol}`);
  if (u.username || u.password)
    throw new SlipwayError(
      'USAGE',
      `webhook "${u.host}" carries credentials in the URL; the HMAC header authenticates Slipway`,
    );
  return url;
}

export interface Preferences {
  email?: string | null;
  webhook?: string | null;
  events?: NotifyEvent[];
}

/** New preferences for an operator; a new webhook URL gets a new secret (returned, shown once). */
export function withPreferences(o: Operator, p: Preferences): { operator: Operator; secret: string | null } {
  let secret: string | null = null;
  const next = { ...o };
  if (p.email !== undefined) next.email = p.email === null ? null : checkEmail(p.email);
  if (p.webhook !== undefined) {
    if (p.webhook === null) next.webhook = null;
    else if (o.webhook?.url !== p.webhook) {
      secret = randomBytes(24).toString('hex');
      next.webhook = { url: checkWebhookUrl(p.webhook), secret };
    }
  }
  if (p.events !== undefined) next.events = p.events;
  return { operator: next, secret };
}

/** A new operator and the token to give them (shown once: only its hash is kept). */
export function newOperator(
  name: string,
  role: Role,
  p: Preferences,
  now: Date,
): { operator: Operator; token: string; secret: string | null } {
  const token = randomBytes(32).toString('hex');
  const base: Operator = {
    name: checkName(name),
    role,
    tokenHash: hashToken(token),
    createdAt: now.toISOString(),
    email: null,
    webhook: null,
    events: [...NOTIFY_EVENTS],
  };
  const { operator, secret } = withPreferences(base, p);
  return { operator, token, secret };
}
