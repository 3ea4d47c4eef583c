import { SlipwayError } from '../errors.ts';
import type { ConfigMigrations, ConfigStep } from './schema.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A value taken out of the config, kept in config.backup.json so that nothing is lost. */
export interface ArchivedValue {
  version: number;
  key: string;
  value: Json;
  at: string;
}

/** A key a `default` step added (so that a rollback takes out only what the migration put in). */
export interface AddedKey {
  version: number;
  key: string;
}

/** What earlier runs kept in config.backup.json. */
export interface ConfigBackup {
  archived: readonly ArchivedValue[];
  added: readonly AddedKey[];
}

export interface ConfigMigrationResult {
  config: JsonObject;
  from: number;
  to: number;
  /** What happened, one line per step, for the log. */
  log: string[];
  /** Values taken out by this run. */
  archived: ArchivedValue[];
  /** Keys this run added with their defaults. */
  added: AddedKey[];
}

function get(obj: JsonObject, key: string): Json | undefined {
  let cur: Json | undefined = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function set(obj: JsonObject, key: string, value: Json): void {
  const parts = key.split('.');
  let cur: JsonObject = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === undefined) cur = cur[part] = {};
    else if (next !== null && typeof next === 'object' && !Array.isArray(next)) cur = next;
    else
      throw new SlipwayError(
        'CONFIG_MIGRATION_CONFLICT',
        `cannot set ${key}: ${part} holds a ${Array.isArray(next) ? 'list' : typeof next}, not an object`,
      );
  }
  cur[parts[parts.length - 1]!] = value;
}

function remove(obj: JsonObject, key: string): void {
  const parts = key.split('.');
  const parents: JsonObject[] = [obj];
  let cur: JsonObject = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return;
    cur = next;
    parents.push(cur);
  }
  delete cur[parts[parts.length - 1]!];
  // Drop objects the removal left empty (server.tls after moving server.tls.mode away).
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]!).length === 0) delete parents[i - 1]![parts[i - 1]!];
    else break;
  }
}

function clone(config: JsonObject): JsonObject {
  return structuredClone(config);
}

/** The config's version: `config_version`, 1 when it has none (the first layout). */
export function configVersion(config: JsonObject): number {
  const v = config.config_version;
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new SlipwayError(
      'CONFIG_VERSION_INVALID',
      `config_version must be a whole number of 1 or more, got ${JSON.stringify(v)}`,
    );
  return v;
}

/**
 * Moves a config to `target` (up or down), step by step; never throws away a value: removed
 * keys, and keys a rollback takes out, go to `archived`. `backup` is what earlier runs archived,
 * from which a rollback restores removed keys. Pure: the caller reads and writes the files.
 */
export function migrateConfig(
  input: JsonObject,
  migrations: ConfigMigrations,
  target: number,
  options: { now: Date; backup?: ConfigBackup },
): ConfigMigrationResult {
  const config = clone(input);
  const from = configVersion(config);
  const log: string[] = [];
  const archived: ArchivedValue[] = [];
  const added: AddedKey[] = [];
  const at = options.now.toISOString();
  const sorted = [...migrations.migrations].sort((a, b) => a.version - b.version);
  const known = new Set(sorted.map((m) => m.version));
  if (target !== 1 && !known.has(target)) {
    throw new SlipwayError(
      'CONFIG_MIGRATION_UNKNOWN',
      `there is no config migration to version ${target}; known: ${[1, ...known].join(', ')}`,
    );
  }
  const archive = (version: number, key: string): void => {
    const value = get(config, key);
    if (value !== undefined) archived.push({ version, key, value, at });
  };

  if (target > from) {
    for (const m of sorted) {
      if (m.version <= from || m.version > target) continue;
      for (const step of m.steps)
        log.push(applyUp(config, step, m.version, archive, (key) => added.push({ version: m.version, key })));
      config.config_version = m.version;
      log.push(`config_version ${m.version}${m.description ? `: ${m.description}` : ''}`);
    }
  } else if (target < from) {
    const restore = [...(options.backup?.archived ?? [])].reverse();
    const wasAdded = (version: number, key: string): boolean =>
      (options.backup?.added ?? []).some((a) => a.version === version && a.key === key);
    for (const m of [...sorted].reverse()) {
      if (m.version > from || m.version <= target) continue;
      for (const step of [...m.steps].reverse())
        log.push(applyDown(config, step, m.version, archive, restore, wasAdded));
      const previous = sorted.filter((x) => x.version < m.version).pop()?.version ?? 1;
      // Version 1 is the layout before config_version existed.
      if (previous === 1) delete config.config_version;
      else config.config_version = previous;
      log.push(`config_version ${previous} (rolled back ${m.version})`);
    }
  }
  return { config, from, to: target, log, archived, added };
}

function applyUp(
  config: JsonObject,
  step: ConfigStep,
  version: number,
  archive: (v: number, key: string) => void,
  add: (key: string) => void,
): string {
  if ('rename' in step) {
    const { from, to } = step.rename;
    const value = get(config, from);
    if (value === undefined) return `rename ${from} -> ${to}: ${from} not set, nothing to do`;
    if (get(config, to) !== undefined) {
      archive(version, from);
      remove(config, from);
      return `rename ${from} -> ${to}: ${to} is set already; ${from} archived`;
    }
    remove(config, from);
    set(config, to, value);
    return `renamed ${from} -> ${to}`;
  }
  if ('remove' in step) {
    if (get(config, step.remove) === undefined) return `remove ${step.remove}: not set`;
    archive(version, step.remove);
    remove(config, step.remove);
    return `removed ${step.remove} (archived in config.backup.json)`;
  }
  const { key, value } = step.default;
  if (get(config, key) !== undefined) return `default ${key}: set already`;
  set(config, key, value);
  add(key);
  return `set ${key} to its default ${JSON.stringify(value)}`;
}

function applyDown(
  config: JsonObject,
  step: ConfigStep,
  version: number,
  archive: (v: number, key: string) => void,
  restore: readonly ArchivedValue[],
  wasAdded: (version: number, key: string) => boolean,
): string {
  if ('rename' in step) {
    const { from, to } = step.rename;
    const value = get(config, to);
    if (value === undefined) return `undo rename ${from} -> ${to}: ${to} not set`;
    remove(config, to);
    set(config, from, value);
    return `renamed back ${to} -> ${from}`;
  }
  if ('remove' in step) {
    const saved = restore.find((a) => a.key === step.remove && a.version === version);
    if (saved === undefined) return `undo remove ${step.remove}: no archived value to restore`;
    set(config, step.remove, saved.value);
    return `restored ${step.remove} from config.backup.json`;
  }
  // The migration added this key: take it out again, keeping its value in the archive. A key
  // the operator had set before the migration is theirs and stays.
  const { key } = step.default;
  if (get(config, key) === undefined) return `undo default ${key}: not set`;
  if (!wasAdded(version, key)) return `undo default ${key}: set by the operator, kept`;
  archive(version, key);
  remove(config, key);
  return `removed ${key} (unknown before config_version ${version}; archived)`;
}

/** One warning per deprecated key the config still uses, naming its replacement. */
export function deprecationWarnings(config: JsonObject, migrations: ConfigMigrations): string[] {
  return migrations.deprecated
    .filter((d) => get(config, d.key) !== undefined)
    .map(
      (d) =>
        `config key ${d.key} is deprecated${d.since ? ` since ${d.since}` : ''}${d.replacement ? `; use ${d.replacement} instead` : ' and will be removed'}`,
    );
}
