/**
 * `slipway/migrate`: goose-format SQL migrations (SQLite, PostgreSQL) and declarative config migrations.
 * @packageDocumentation
 */
export { runMigrations, migrationStatus, loadMigrations, databaseVersion, openDriver } from './runner.ts';
export type { RunOptions, MigrateResult, StatusRow } from './runner.ts';
export { migrateConfigFile, loadConfigMigrations } from './config-file.ts';
export type { ConfigFileMigration } from './config-file.ts';
export type { MigrationDriver, ApplyStep } from './driver.ts';
