import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import { formatIssues } from '../core/config/issues.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  deprecationWarnings,
  migrateConfig,
  type AddedKey,
  type ArchivedValue,
  type ConfigMigrationResult,
  type JsonObject,
} from '../core/config-migrate/apply.ts';
import { ConfigMigrationsSchema, type ConfigMigrations } from '../core/config-migrate/schema.ts';
import { writeFilesAtomic } from '../io/atomic-write.ts';

export const BACKUP_FILE = 'config.backup.json';

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SlipwayError(
      'CONFIG_MIGRATION_READ',
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code}`,
      { cause: error },
    );
  }
  const errors: ParseError[] = [];
  const data: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0)
    throw new SlipwayError(
      'CONFIG_MIGRATION_READ',
      `${what} ${path} is not valid JSON (first problem at offset ${errors[0]!.offset})`,
    );
  return data;
}

export async function loadConfigMigrations(path: string): Promise<ConfigMigrations> {
  const data = await readJson(path, 'config migrations');
  const r = ConfigMigrationsSchema.safeParse(data);
  if (!r.success)
    throw new SlipwayError('CONFIG_MIGRATION_INVALID', `${path} is not a valid config migrations file`, {
      details: formatIssues(r.error.issues, data),
    });
  return r.data;
}

export interface ConfigFileMigration extends ConfigMigrationResult {
  changed: boolean;
  warnings: string[];
  backupPath: string;
}

/**
 * Migrates a JSON config file to `target` (the newest migration when null), writing the config
 * and config.backup.json together, atomically. With `dryRun`, nothing is written.
 */
export async function migrateConfigFile(options: {
  configPath: string;
  migrationsPath: string;
  target: number | null;
  dryRun?: boolean;
  now?: Date;
}): Promise<ConfigFileMigration> {
  const data = await readJson(options.configPath, 'config');
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new SlipwayError('CONFIG_MIGRATION_READ', `config ${options.configPath} must hold a JSON object`);
  const config = data as JsonObject;
  const migrations = await loadConfigMigrations(options.migrationsPath);
  const backupPath = join(dirname(options.configPath), BACKUP_FILE);
  let backup: { archived: ArchivedValue[]; added: AddedKey[] } = { archived: [], added: [] };
  try {
    const saved = (await readJson(backupPath, 'config backup')) as Partial<typeof backup>;
    backup = {
      archived: Array.isArray(saved.archived) ? saved.archived : [],
      added: Array.isArray(saved.added) ? saved.added : [],
    };
  } catch {
    // no backup yet
  }
  const latest = Math.max(1, ...migrations.migrations.map((m) => m.version));
  const target = options.target ?? latest;
  const result = migrateConfig(config, migrations, target, { now: options.now ?? new Date(), backup });
  const changed = result.from !== result.to || JSON.stringify(result.config) !== JSON.stringify(config);
  if (changed && !options.dryRun) {
    const files = [{ path: options.configPath, data: `${JSON.stringify(result.config, null, 2)}\n` }];
    if (result.archived.length > 0 || result.added.length > 0) {
      files.push({
        path: backupPath,
        data: `${JSON.stringify({ archived: [...backup.archived, ...result.archived], added: [...backup.added, ...result.added] }, null, 2)}\n`,
      });
    }
    await writeFilesAtomic(files);
  }
  return { ...result, changed, warnings: deprecationWarnings(result.config, migrations), backupPath };
}
