import { SlipwayError } from '../core/errors.ts';

/** Exit statuses scripts can rely on (documented in the README). */
export const EXIT = {
  ok: 0,
  /** A check failed or an operation could not be done. */
  failed: 1,
  /** Bad flags, arguments, config or input: fix the call. */
  usage: 2,
  /** A bug in Slipway. */
  bug: 70,
} as const;

const INPUT_CODES = new Set([
  'CONFIG_SYNTAX',
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'UNKNOWN_CHANNEL',
  'INVALID_VERSION',
  'INVALID_RELEASE_AS',
  'RELEASE_AS_NOT_GREATER',
  'VERSION_FILE_KIND',
  'VERSION_FILE_OUTSIDE',
  'TEMPLATE_MISSING',
  'KEY_PASSPHRASE',
  'KEY_PASSPHRASE_WRONG',
  'USAGE',
]);

export function exitCodeFor(error: SlipwayError): number {
  return INPUT_CODES.has(error.code) ? EXIT.usage : EXIT.failed;
}

export interface Output {
  json: boolean;
  /** The command's result on stdout: JSON with --json, text otherwise. */
  result(text: string, data: unknown): void;
  /** Notes for people, on stderr; silent with --json. */
  info(text: string): void;
  warn(text: string): void;
  /** Progress on a terminal only; cleared by the next line. */
  progress(text: string): void;
}

export function createOutput(json: boolean): Output {
  const tty = process.stderr.isTTY === true && !json;
  let progressShown = false;
  const clear = (): void => {
    if (progressShown) {
      process.stderr.write('\r\u001b[2K');
      progressShown = false;
    }
  };
  return {
    json,
    result(text, data) {
      clear();
      process.stdout.write(
        json ? `${JSON.stringify(data, null, 2)}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`,
      );
    },
    info(text) {
      if (json) return;
      clear();
      process.stderr.write(`${text}\n`);
    },
    warn(text) {
      clear();
      process.stderr.write(`warning: ${text}\n`);
    },
    progress(text) {
      if (!tty) return;
      process.stderr.write(`\r\u001b[2K${text}`);
      progressShown = true;
    },
  };
}

/** Today as YYYY-MM-DD (UTC); SOURCE_DATE_EPOCH wins for reproducible builds. */
export function today(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const now = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return now.toISOString().slice(0, 10);
}

export function checkDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw new SlipwayError('USAGE', `--date expects YYYY-MM-DD, got "${date}"`);
  }
  return date;
}
