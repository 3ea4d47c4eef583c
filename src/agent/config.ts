import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.ts';
import { validateDocument } from '../core/json-document.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { parseWindows } from '../core/schedule/window.ts';
import { migrateConfig, deprecationWarnings, type JsonObject } from '../core/config-migrate/apply.ts';
import { ConfigMigrationsSchema, type ConfigMigrations } from '../core/config-migrate/schema.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';

/**
 * The operator's settings for the agent, `<root>/agent.json`, under the names of the server
 * panel strategy (`slipway config set update.channel beta`). It carries a config_version and is
 * moved between versions with the same declarative config migrations releases use for theirs.
 */
export const AGENT_CONFIG_VERSION = 2;

/** Slipway's own config migrations for agent.json. */
export const AGENT_CONFIG_MIGRATIONS: ConfigMigrations = ConfigMigrationsSchema.parse({
  migrations: [
    { version: 1, description: 'first layout', steps: [] },
    {
      version: 2,
      description: 'the strategy names: update.interval became update.check-interval; versions to keep',
      steps: [
        { rename: { from: 'update.interval', to: 'update.check-interval' } },
        { default: { key: 'update.keep', value: 2 } },
      ],
    },
  ],
  deprecated: [{ key: 'update.interval', replacement: 'update.check-interval', since: '0.1.0' }],
});

const MINUTE = 60_000;
const MAX_INTERVAL = 30 * 86_400_000;

/** update.check-interval: a duration from 1 minute to 30 days (a fleet must neither hammer the feed nor go deaf). */
export function parseCheckInterval(v: string): number {
  const ms = parseDuration(v, 'update.check-interval');
  if (ms < MINUTE || ms > MAX_INTERVAL)
    throw new SlipwayError('USAGE', `update.check-interval "${v}" is outside 1m to 30d; pick e.g. 6h, 12h or 1d`);
  return ms;
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** notify.webhook-timeout: 1 s to 5 min (a receiver gets time to answer; a hung one cannot hold the outbox). */
export function parseWebhookTimeout(v: string): number {
  const ms = parseDuration(v, 'notify.webhook-timeout');
  if (ms < 1000 || ms > 300_000)
    throw new SlipwayError('USAGE', `notify.webhook-timeout "${v}" is outside 1s to 5m; pick e.g. 10s or 30s`);
  return ms;
}

const check = (fn: (s: string) => unknown) => (s: string) => {
  try {
    fn(s);
    return true;
  } catch {
    return false;
  }
};

export const AgentConfigSchema = z
  .object({
    config_version: z.number().int(),
    feed: z.object({ url: z.url({ protocol: /^https?$/ }), platform: z.string().optional() }).strict(),
    update: z
      .object({
        channel: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a channel name such as stable or beta'),
        'check-interval': z
          .string()
          .refine(check(parseCheckInterval), 'expected a duration from 1m to 30d, such as 6h, 12h or 30m')
          .default('6h'),
        'maintenance-window': z
          .string()
          .refine(
            check(parseWindows),
            'expected windows such as "Sun 02:00-06:00" or "Sat 03:00-05:00,Sun 02:00-06:00"',
          )
          .default(''),
        'security-bypass-window': z.boolean().default(true),
        'migration-timeout': z
          .string()
          .refine(check(parseDuration), 'expected a duration such as 10m or 1h')
          .default('30m')
          .describe('Database migrations that run longer are stopped and the update is rolled back.'),
        'download-timeout': z
          .string()
          .refine(check(parseDuration), 'expected a duration such as 30m or 2h')
          .default('2h')
          .describe('A download that takes longer is cut and resumed at the next check.'),
        'auto-major': z
          .boolean()
          .default(false)
          .describe('Apply a new major version without waiting for the operator (false: it waits for approval).'),
        keep: z
          .number()
          .int()
          .min(2, 'keep at least 2: the running version and the one it replaced')
          .max(20)
          .default(2),
        auto: z
          .boolean()
          .default(true)
          .describe('Apply updates the agent finds (in the window); false: only download and stage them.'),
        'self-update': z
          .boolean()
          .default(true)
          .describe(
            "Replace the agent's own executable (installed by install.sh) with newer ones the feed carries, at each check.",
          ),
      })
      .strict(),
    app: z
      .object({ port: z.number().int().min(0).max(65_535).default(8080), database: z.string().optional() })
      .strict()
      .prefault({}),
    api: z
      .object({ port: z.number().int().min(0).max(65_535).default(0) })
      .strict()
      .prefault({}),
    notify: z
      .object({
        'smtp-host': z
          .string()
          .regex(HOST, 'expected a host name or IP address such as smtp.example.com (no scheme, no port)')
          .optional()
          .describe('The SMTP server notification emails go through.'),
        'smtp-port': z.number().int().min(1).max(65_535).default(587),
        'smtp-secure': z
          .boolean()
          .default(false)
          .describe('TLS from the first byte (port 465); false: STARTTLS when offered.'),
        'smtp-from': z
          .string()
          .regex(/^[^\s@]+@[^\s@]+$/, 'expected an address such as updates@example.com')
          .optional(),
        'smtp-user': z
          .string()
          .regex(/^[^\s\u0000-\u001f]+$/, 'expected a user name without spaces or control characters')
          .optional(),
        'smtp-password-file': z
          .string()
          .regex(/^\//, 'expected an absolute path such as /etc/slipway/smtp-password')
          .optional()
          .describe('A file holding the SMTP password (or set SLIPWAY_SMTP_PASSWORD); never in agent.json.'),
        'webhook-timeout': z.string().refine(check(parseDuration), 'expected a duration such as 10s').default('10s'),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type AgentConfig = z.output<typeof AgentConfigSchema>;

/** The JSON Schema of agent.json (schema/agent.schema.json, `slipway schema --agent`). */
export function agentJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(AgentConfigSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://slipway.dev/schema/agent.schema.json',
    title: "Slipway agent settings (an install root's agent.json)",
  };
}

/** Keys `slipway config get|set` knows, with how to read a value given on the command line. */
export const CONFIG_KEYS: Record<string, { parse: (v: string) => unknown; help: string }> = {
  'update.channel': { parse: (v) => v, help: 'the channel this instance follows (nightly, beta, stable…)' },
  'update.check-interval': {
    parse: (v) => (parseCheckInterval(v), v),
    help: 'how often the agent checks the feed (e.g. 6h)',
  },
  'update.maintenance-window': {
    parse: (v) => (parseWindows(v), v),
    help: 'when non-security updates apply, e.g. "Sun 02:00-06:00" ("" for any time)',
  },
  'update.security-bypass-window': {
    parse: parseBool('update.security-bypass-window'),
    help: 'security releases apply at once, outside the window (true/false)',
  },
  'update.self-update': {
    parse: parseBool('update.self-update'),
    help: 'true: the agent replaces its own executable with newer ones on the feed (only one install.sh installed)',
  },
  'update.auto-major': {
    parse: parseBool('update.auto-major'),
    help: 'apply a new major version by itself (true) or wait for slipway update --version (false)',
  },
  'update.migration-timeout': {
    parse: (v) => (parseDuration(v, 'update.migration-timeout'), v),
    help: 'how long the database migrations of one update may run before it is rolled back (e.g. 30m)',
  },
  'update.download-timeout': {
    parse: (v) => (parseDuration(v, 'update.download-timeout'), v),
    help: 'how long one download may take before it is cut and resumed later (e.g. 2h)',
  },
  'update.keep': {
    parse: (v) => {
      return parseInt('update.keep', 2, 20, ' (the running version and the one it replaced are always kept)')(v);
    },
    help: 'how many versions to keep for rollback (2 or more)',
  },
  'update.auto': {
    parse: parseBool('update.auto'),
    help: 'apply updates automatically (true) or only stage them (false)',
  },
  'feed.url': { parse: (v) => v, help: 'the feed this instance updates from' },
  'app.port': { parse: parseInt('app.port', 0, 65_535), help: 'the port given to the app as {port} / PORT' },
  'app.database': { parse: (v) => v, help: 'the app database: a SQLite path or a postgres:// URL ({db} / SLIPWAY_DB)' },
  'notify.smtp-host': { parse: unsetIfEmpty, help: 'the SMTP server for notification emails ("" for none)' },
  'notify.smtp-port': { parse: parseInt('notify.smtp-port', 1, 65_535), help: 'its port (587; 465 with smtp-secure)' },
  'notify.smtp-secure': { parse: parseBool('notify.smtp-secure'), help: 'TLS from the first byte (true for port 465)' },
  'notify.smtp-from': { parse: unsetIfEmpty, help: 'the From address of notification emails' },
  'notify.smtp-user': { parse: unsetIfEmpty, help: 'the SMTP user name' },
  'notify.smtp-password-file': {
    parse: unsetIfEmpty,
    help: 'a file holding the SMTP password (or set SLIPWAY_SMTP_PASSWORD)',
  },
  'notify.webhook-timeout': {
    parse: (v) => (parseWebhookTimeout(v), v),
    help: 'how long one webhook delivery may take (e.g. 10s)',
  },
  'api.port': { parse: parseInt('api.port', 0, 65_535), help: 'the agent API port on 127.0.0.1 (0: any free one)' },
};

/** "" removes an optional setting. */
function unsetIfEmpty(v: string): string | undefined {
  return v === '' ? undefined : v;
}

function parseBool(key: string) {
  return (v: string): boolean => {
    if (v === 'true' || v === 'false') return v === 'true';
    throw new SlipwayError('USAGE', `${key} expects true or false, got "${v}"`);
  };
}

/** A whole number in [min, max]; `why` explains the bounds in the error. */
function parseInt(key: string, min: number, max: number, why = '') {
  return (v: string): number => {
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new SlipwayError('USAGE', `${key} expects a whole number from ${min} to ${max}, got "${v}"${why}`);
    return n;
  };
}

export function validateAgentConfig(data: unknown, where: string): AgentConfig {
  return validateDocument(AgentConfigSchema, data, { where, kind: 'a valid agent config', code: 'CONFIG_INVALID' });
}

/** Reads agent.json, migrating an older config_version forward (and saying which keys are deprecated). */
export async function readAgentConfig(
  path: string,
  now: Date,
): Promise<{ config: AgentConfig; warnings: string[]; migrated: boolean }> {
  let raw: JsonObject;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as JsonObject;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SlipwayError(
      code === 'ENOENT' ? 'NOT_INSTALLED' : 'CONFIG_INVALID',
      code === 'ENOENT'
        ? `${path} is missing: this is not an install root (create one with slipway install)`
        : code === 'EACCES' || code === 'EPERM'
          ? `cannot read ${path}: permission denied; run this as the user that owns the install root (or with sudo -u <that user>)`
          : code !== undefined
            ? `cannot read ${path}: ${(error as Error).message}`
            : `${path} is not JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const warnings = deprecationWarnings(raw, AGENT_CONFIG_MIGRATIONS);
  let migrated = false;
  if (typeof raw.config_version !== 'number' || raw.config_version < AGENT_CONFIG_VERSION) {
    const r = migrateConfig(raw, AGENT_CONFIG_MIGRATIONS, AGENT_CONFIG_VERSION, { now });
    raw = r.config;
    migrated = true;
    await writeFileAtomic(path, `${JSON.stringify(raw, null, 2)}\n`);
  }
  return { config: validateAgentConfig(raw, path), warnings, migrated };
}

/**
 * The agent.json text for a config: only what differs from the defaults (and what is required).
 * A default a newer Slipway adds is then never written, so the older executable a self-update
 * returns to (or an operator rolls back to) still reads the file.
 */
export function agentConfigText(config: AgentConfig): string {
  const defaults = validateAgentConfig(
    {
      config_version: config.config_version,
      feed: { url: config.feed.url },
      update: { channel: config.update.channel },
    },
    'the defaults',
  ) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [section, value] of Object.entries(config as unknown as Record<string, unknown>)) {
    const base = defaults[section];
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      typeof base !== 'object' ||
      base === null
    ) {
      out[section] = value;
      continue;
    }
    const kept = Object.fromEntries(
      Object.entries(value as Record<string, unknown>).filter(
        ([k, v]) =>
          (section === 'feed' && k === 'url') ||
          (section === 'update' && k === 'channel') ||
          JSON.stringify(v) !== JSON.stringify((base as Record<string, unknown>)[k]),
      ),
    );
    if (Object.keys(kept).length > 0 || section === 'feed' || section === 'update') out[section] = kept;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

export async function writeAgentConfig(path: string, config: AgentConfig): Promise<void> {
  validateAgentConfig(config, path);
  await writeFileAtomic(path, agentConfigText(config));
}

export function getKey(config: AgentConfig, key: string): unknown {
  const [section, name] = key.split('.') as [keyof AgentConfig, string];
  return (config[section] as Record<string, unknown> | undefined)?.[name];
}

export function setKey(config: AgentConfig, key: string, value: string): AgentConfig {
  const spec = CONFIG_KEYS[key];
  if (!spec) throw new SlipwayError('USAGE', `unknown setting "${key}"; known: ${Object.keys(CONFIG_KEYS).join(', ')}`);
  const [section, name] = key.split('.') as [keyof AgentConfig, string];
  const next = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  next[section] = { ...next[section], [name]: spec.parse(value) };
  return validateAgentConfig(next, 'the new settings');
}
