/**
 * The one error base. Callers branch on `code`, never on message text; messages say what was
 * expected, what arrived, and how to fix it.
 */
export class SlipwayError<C extends string = string> extends Error {
  override readonly name = 'SlipwayError';
  readonly code: C;
  /** Extra lines shown under the message (for example every config problem at once). */
  readonly details: readonly string[];

  constructor(code: C, message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
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
