import { SlipwayError } from '../core/errors.ts';
import type { CliIo } from './command.ts';

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

export function createOutput(json: boolean, io: Pick<CliIo, 'stdout' | 'stderr'>): Output {
  const tty = io.stderr.isTTY === true && !json;
  let progressShown = false;
  const clear = (): void => {
    if (progressShown) {
      io.stderr.write('\r\u001b[2K');
      progressShown = false;
    }
  };
  return {
    json,
    result(text, data) {
      clear();
      io.stdout.write(
        json ? `${JSON.stringify(data, null, 2)}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`,
      );
    },
    info(text) {
      if (json) return;
      clear();
      io.stderr.write(`${text}\n`);
    },
    warn(text) {
      clear();
      io.stderr.write(`warning: ${text}\n`);
    },
    progress(text) {
      if (!tty) return;
      io.stderr.write(`\r\u001b[2K${text}`);
      progressShown = true;
    },
  };
}

/** Today as YYYY-MM-DD (UTC); SOURCE_DATE_EPOCH wins for reproducible builds. */
export function today(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env.SOURCE_DATE_EPOCH;
  const now = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return now.toISOString().slice(0, 10);
}

/** A real calendar day: 2025-02-30 does not roll over into March. */
export function isDay(date: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(date) &&
    !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) &&
    new Date(`${date}T00:00:00Z`).toISOString().startsWith(date)
  );
}

export function checkDate(date: string): string {
  if (!isDay(date)) {
    throw new SlipwayError(
      'USAGE',
      /^\d{4}-\d{2}-\d{2}$/.test(date)
        ? `--date "${date}" is not a day of the calendar (that month has no such day); expected YYYY-MM-DD such as 2026-02-28`
        : `--date expects YYYY-MM-DD, got "${date}"`,
    );
  }
  return date;
}
