import { SlipwayError } from '../errors.ts';

export interface MigrationRef {
  version: bigint;
  name: string;
}

export type Direction = 'up' | 'down';

export interface MigrationStep<M extends MigrationRef = MigrationRef> {
  migration: M;
  direction: Direction;
}

export type MigrateCommand =
  | { kind: 'up'; allowMissing?: boolean }
  | { kind: 'up-to'; version: bigint; allowMissing?: boolean }
  | { kind: 'up-by-one' }
  | { kind: 'down' }
  | { kind: 'down-to'; version: bigint }
  | { kind: 'redo' };

function sorted<M extends MigrationRef>(migrations: readonly M[]): M[] {
  return [...migrations].sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

/** Applied migrations (versions) missing from the middle: available, not applied, below the highest applied. */
export function missingMigrations<M extends MigrationRef>(available: readonly M[], applied: ReadonlySet<bigint>): M[] {
  let highest = 0n;
  for (const v of applied) if (v > highest) highest = v;
  return sorted(available).filter((m) => !applied.has(m.version) && m.version < highest);
}

/** Two files with one version would make the order ambiguous: refused, naming both. */
export function checkUniqueVersions(migrations: readonly MigrationRef[]): void {
  const all = sorted(migrations);
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.version === all[i - 1]!.version) {
      throw new SlipwayError(
        'MIGRATION_DUPLICATE',
        `two migrations have version ${all[i]!.version}: ${all[i - 1]!.name} and ${all[i]!.name}; renumber one of them`,
      );
    }
  }
}

/**
 * What a migrate command would do, as a list of steps; nothing runs. Migrations missing from
 * the middle of the applied sequence are an error unless allowed (they then run first, in order).
 */
export function planMigrations<M extends MigrationRef>(
  available: readonly M[],
  applied: ReadonlySet<bigint>,
  command: MigrateCommand,
): MigrationStep<M>[] {
  checkUniqueVersions(available);
  const all = sorted(available);
  const versions = new Set(all.map((m) => m.version));
  const appliedDesc = [...applied].filter((v) => v > 0n).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const byVersion = new Map(all.map((m) => [m.version, m]));
  const need = (v: bigint): M => {
    const m = byVersion.get(v);
    if (!m)
      throw new SlipwayError(
        'MIGRATION_FILE_MISSING',
        `version ${v} is applied in the database but its migration file is not in the folder; restore the file to migrate it down`,
      );
    return m;
  };
  switch (command.kind) {
    case 'up':
    case 'up-to': {
      const target = command.kind === 'up-to' ? command.version : null;
      if (target !== null && !versions.has(target))
        throw new SlipwayError('MIGRATION_UNKNOWN_VERSION', `there is no migration with version ${target}`);
      const missing = missingMigrations(all, applied);
      if (missing.length > 0 && !command.allowMissing) {
        throw new SlipwayError(
          'MIGRATION_OUT_OF_ORDER',
          `found ${missing.length} migration${missing.length === 1 ? '' : 's'} older than the newest applied one that never ran: ${missing.map((m) => `${m.version}_${m.name}`).join(', ')}; rename them above the newest version, or pass --allow-missing to run them first`,
          {},
        );
      }
      return all
        .filter((m) => !applied.has(m.version) && (target === null || m.version <= target))
        .map((migration) => ({ migration, direction: 'up' as const }));
    }
    case 'up-by-one': {
      const next = all.find((m) => !applied.has(m.version));
      return next ? [{ migration: next, direction: 'up' }] : [];
    }
    case 'down': {
      const top = appliedDesc[0];
      return top === undefined ? [] : [{ migration: need(top), direction: 'down' }];
    }
    case 'down-to': {
      if (command.version !== 0n && !versions.has(command.version))
        throw new SlipwayError(
          'MIGRATION_UNKNOWN_VERSION',
          `there is no migration with version ${command.version} (use 0 to undo everything)`,
        );
      return appliedDesc
        .filter((v) => v > command.version)
        .map((v) => ({ migration: need(v), direction: 'down' as const }));
    }
    case 'redo': {
      const top = appliedDesc[0];
      if (top === undefined) return [];
      const m = need(top);
      return [
        { migration: m, direction: 'down' },
        { migration: m, direction: 'up' },
      ];
    }
  }
}
