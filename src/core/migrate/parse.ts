import { SlipwayError } from '../errors.ts';

/** One SQL statement of a migration, with the line it starts on (for error messages). */
export interface Statement {
  sql: string;
  line: number;
}

export interface Migration {
  /** goose version: sequential (00001) or a timestamp (20240101120000). */
  version: bigint;
  name: string;
  file: string;
  up: Statement[];
  down: Statement[];
  /** `-- +goose NO TRANSACTION`: statements run one by one, outside a transaction. */
  noTransaction: boolean;
}

const FILE_NAME = /^(\d+)_([^/\\]+)\.sql$/;
const ANNOTATION = /^--\s*\+goose\s+(.*?)\s*$/;

function malformed(file: string, line: number, message: string): SlipwayError {
  return new SlipwayError('MIGRATION_MALFORMED', `${file}:${line}: ${message}`);
}

/** "00002_add_index.sql" -> version 2n and name "add_index"; null for files that are not migrations. */
export function parseMigrationName(file: string): { version: bigint; name: string } | null {
  const m = FILE_NAME.exec(file);
  if (!m) return null;
  const version = BigInt(m[1]!);
  return version < 1n ? null : { version, name: m[2]! };
}

/** goose's ENVSUB: ${VAR} and $VAR (and ${VAR:-default}) from the given environment. */
function substitute(line: string, env: Readonly<Record<string, string | undefined>>): string {
  return line.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
      const value = env[braced ?? bare!];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      return value ?? whole;
    },
  );
}

function endsStatement(line: string): boolean {
  // A semicolon at the end of the line, optionally followed by a `--` comment.
  return /;\s*(?:--[^'"]*)?$/.test(line);
}

/**
 * Reads a migration in goose's SQL format: `-- +goose Up` / `Down`, statements ending with a
 * semicolon at the end of a line, `StatementBegin`/`StatementEnd` around statements that
 * contain semicolons, `NO TRANSACTION`, and `ENVSUB ON`/`OFF`.
 */
export function parseMigration(
  file: string,
  text: string,
  env: Readonly<Record<string, string | undefined>> = {},
): Migration {
  const id = parseMigrationName(file.split(/[/\\]/).pop()!);
  if (id === null)
    throw new SlipwayError(
      'MIGRATION_NAME',
      `${file}: a migration file is named <version>_<name>.sql with a version of 1 or more, e.g. 00001_create_users.sql`,
    );
  const up: Statement[] = [];
  const down: Statement[] = [];
  let section: Statement[] | null = null;
  let sawUp = false;
  let sawDown = false;
  let block = false; // inside StatementBegin/End
  let envsub = false;
  let noTransaction = false;
  let buffer: string[] = [];
  let start = 0;
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const flush = (lineNo: number): void => {
    const sql = buffer.join('\n').trim();
    if (sql !== '') section!.push({ sql, line: start });
    buffer = [];
    start = lineNo + 1;
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const annotation = ANNOTATION.exec(raw.trim());
    if (annotation) {
      const what = annotation[1]!.toUpperCase();
      if (what === 'UP' || what === 'DOWN') {
        if (block)
          throw malformed(
            file,
            lineNo,
            `-- +goose ${annotation[1]} inside a StatementBegin block; close it with -- +goose StatementEnd first`,
          );
        if (section !== null && buffer.join('').trim() !== '')
          throw malformed(
            file,
            start,
            'a statement does not end with a semicolon (or wrap it in -- +goose StatementBegin / StatementEnd)',
          );
        if (what === 'UP') {
          if (sawUp) throw malformed(file, lineNo, 'a second -- +goose Up');
          sawUp = true;
          section = up;
        } else {
          if (sawDown) throw malformed(file, lineNo, 'a second -- +goose Down');
          sawDown = true;
          section = down;
        }
        buffer = [];
        start = lineNo + 1;
      } else if (what === 'STATEMENTBEGIN') {
        if (section === null) throw malformed(file, lineNo, 'StatementBegin before -- +goose Up');
        if (block) throw malformed(file, lineNo, 'StatementBegin inside another StatementBegin');
        if (buffer.join('').trim() !== '')
          throw malformed(file, start, 'a statement does not end with a semicolon before StatementBegin');
        block = true;
        buffer = [];
        start = lineNo + 1;
      } else if (what === 'STATEMENTEND') {
        if (!block) throw malformed(file, lineNo, 'StatementEnd without StatementBegin');
        block = false;
        flush(lineNo);
      } else if (what === 'NO TRANSACTION') {
        noTransaction = true;
      } else if (what === 'ENVSUB ON') {
        envsub = true;
      } else if (what === 'ENVSUB OFF') {
        envsub = false;
      } else {
        throw malformed(
          file,
          lineNo,
          `unknown annotation "-- +goose ${annotation[1]}"; expected Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON or ENVSUB OFF`,
        );
      }
      continue;
    }
    if (section === null) {
      if (raw.trim() !== '' && !raw.trim().startsWith('--')) throw malformed(file, lineNo, 'SQL before -- +goose Up');
      continue;
    }
    if (!block && buffer.length === 0 && (raw.trim() === '' || raw.trim().startsWith('--'))) {
      start = lineNo + 1;
      continue;
    }
    if (buffer.length === 0) start = lineNo;
    buffer.push(envsub ? substitute(raw, env) : raw);
    if (!block && endsStatement(raw)) flush(lineNo);
  }
  if (block) throw malformed(file, start, 'StatementBegin without StatementEnd');
  if (!sawUp) throw malformed(file, 1, 'no -- +goose Up annotation');
  if (buffer.join('').trim() !== '')
    throw malformed(
      file,
      start,
      'a statement does not end with a semicolon (or wrap it in -- +goose StatementBegin / StatementEnd)',
    );
  return { version: id.version, name: id.name, file, up, down, noTransaction };
}
