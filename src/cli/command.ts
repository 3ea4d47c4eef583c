import { resolve } from 'node:path';
import type { Output } from './output.ts';

/** Exit statuses scripts can rely on (documented in the README). */
export const EXIT = { ok: 0, failed: 1, usage: 2, bug: 70 } as const;

/**
 * One option of a command, in commander's notation: `--dry-run` is a switch, `--channel <name>`
 * takes a value. The value's type follows from the notation (see {@link Flags}).
 */
export interface OptionSpec {
  flags: string;
  description: string;
  default?: string;
  required?: boolean;
}

export interface ArgSpec {
  /** `<version>`, `[dir]`, `<files...>` */
  name: string;
  description?: string;
}

type ValueOf<O extends OptionSpec> = O['flags'] extends
  `${string}<${string}>${string}` | `${string}[${string}]${string}`
  ? O extends { required: true } | { default: string }
    ? string
    : string | undefined
  : boolean | undefined;

/** The typed flags of a command, derived from its option table. */
export type Flags<T extends Record<string, OptionSpec>> = { [K in keyof T]: ValueOf<T[K]> } & GlobalFlags;

/** Options every command takes (see program.ts). */
export interface GlobalFlags {
  cwd?: string;
  config?: string;
}

/** Where a command writes and reads: the process's streams, or a test's buffers. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Where a person answers (a checklist item); absent or not a terminal in CI and tests. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The folder relative paths are read from. */
  cwd: string;
}

export interface RunContext {
  io: CliIo;
  out: Output;
  /** A path as the user typed it, made absolute against the command's folder. */
  path(p: string): string;
  /** Resolves when the user asks a long-running command to stop (SIGINT/SIGTERM). */
  stopped(): Promise<void>;
}

export interface CommandDef<T extends Record<string, OptionSpec>> {
  args?: readonly ArgSpec[];
  options: T;
  /** Returns the exit status (0 when nothing is returned). */
  run(ctx: RunContext, flags: Flags<T>, args: string[]): Promise<number | void>;
}

/** A command with typed flags: `flags.channel` is a string when the option takes a value, a boolean for a switch. */
export function defineCommand<const T extends Record<string, OptionSpec>>(def: CommandDef<T>): CommandDef<T> {
  return def;
}

export const pathIn =
  (io: CliIo) =>
  (p: string): string =>
    resolve(io.cwd, p);

// Options many commands share.
export const json = { flags: '--json', description: 'print a JSON document on stdout instead of text' } as const;
/** --date for the commands that judge statuses on a day (lifecycle, calendar). */
export const judgeDay = {
  flags: '--date <YYYY-MM-DD>',
  description: 'judge on this day (default: today, UTC)',
} as const;
export const dryRun = { flags: '--dry-run', description: 'show what would change and write nothing' } as const;
export const keysDir = { flags: '--keys <dir>', description: 'the key folder', default: 'keys' } as const;
export const feedDir = {
  flags: '--feed <dir>',
  description: 'the feed: a folder or s3://bucket/prefix',
  default: 'feed',
} as const;
/** A feed that must be a local folder (served, verified, given an install.sh). */
export const feedFolder = { flags: '--feed <dir>', description: 'the feed folder', default: 'feed' } as const;

/** The flags of every command that changes the feed. */
export const feedChange = { keys: keysDir, feed: feedDir, dryRun, json } as const;

export const rootDir = { flags: '--root <dir>', description: 'the install root (default: $SLIPWAY_ROOT)' } as const;
