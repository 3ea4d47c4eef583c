import { ERROR_CATALOGUE, type ErrorCode } from './error-codes.ts';

export { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from './error-codes.ts';

/**
 * The one error base. Callers branch on `code` (a closed union, see error-codes.ts), never on
 * message text; messages say what was expected, what arrived, and how to fix it.
 */
export class SlipwayError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'SlipwayError';
  readonly code: C;
  /** Extra lines shown under the message (for example every config problem at once). */
  readonly details: readonly string[];

  constructor(code: C, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
  }

  /** The catalogue's one-line fix hint for this code. */
  get hint(): string {
    return ERROR_CATALOGUE[this.code].hint;
  }

  /** The exit status scripts see (2: fix the call; 1: failed; 70: a bug). */
  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exit;
  }
}

/** Carries an exit status for a problem that has already been reported to the user. */
export class ExitError extends Error {
  override readonly name = 'ExitError';
  readonly exitCode: number;
  constructor(exitCode: number, message = `exit ${exitCode}`) {
    super(message);
    this.exitCode = exitCode;
  }
}
