import { SlipwayError } from '../core/errors.ts';
import type { ApplyStep } from './driver.ts';
import type { Statement } from '../core/migrate/parse.ts';

/** A statement failed: the file, the line, the statement and what the database said. */
export function statementFailed(step: ApplyStep, statement: Statement, cause: unknown): SlipwayError {
  const sql = statement.sql.length > 300 ? `${statement.sql.slice(0, 300)}…` : statement.sql;
  return new SlipwayError(
    'MIGRATION_FAILED',
    `${step.file}:${statement.line}: migrating ${step.direction} to ${step.version} failed: ${(cause as Error).message}${step.noTransaction ? '' : ' (the migration was rolled back)'}`,
    { cause, details: [`statement: ${sql.replace(/\s+/g, ' ')}`] },
  );
}
