import { spawn } from 'node:child_process';
import { SlipwayError } from '../core/errors.ts';

/** A gate, build or post-release command of the strategy: an argument array, never a shell string. */
export interface StepCommand {
  /** What the strategy calls it ("tests", "build linux/arm64"). */
  name: string;
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
}

export interface StepResult {
  name: string;
  argv: readonly string[];
  status: number;
  signal: string | null;
  ms: number;
  /** The last lines it printed, for the error message and the journal. */
  tail: string;
}

const TAIL_BYTES = 4096;

/** {version} → 1.2.0 in every argument. Unknown placeholders are left as they are. */
export function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

/**
 * Runs one command with its output streamed to `onOutput` as it comes (a long test suite shows
 * progress), and resolves with its exit status: a failing command is a result, not a throw.
 * A command that cannot start (not on PATH) throws STEP_NOT_FOUND naming it.
 */
export function runStep(command: StepCommand, onOutput: (chunk: Buffer) => void): Promise<StepResult> {
  const started = Date.now();
  const [file, ...args] = command.argv;
  return new Promise((resolve, reject) => {
    // Its own process group, so that a stop (SIGTERM from a CI cancel, SIGINT) reaches the
    // command and everything it started, and the release then fails cleanly (and undoes).
    const child = spawn(file!, args, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const forward = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onTerm = (): void => forward('SIGTERM');
    const onInt = (): void => forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const unhook = (): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    };
    let tail = Buffer.alloc(0);
    const take = (chunk: Buffer): void => {
      onOutput(chunk);
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error: NodeJS.ErrnoException) => {
      unhook();
      reject(
        new SlipwayError(
          'STEP_NOT_FOUND',
          error.code === 'ENOENT'
            ? `${command.name}: ${file} was not found (looked on PATH from ${command.cwd}); install it or fix "run" in slipway.json`
            : `${command.name}: ${file} could not start: ${error.message}`,
          { cause: error },
        ),
      );
    });
    child.on('close', (status, signal) => {
      unhook();
      const text = tail.toString('utf8');
      resolve({
        name: command.name,
        argv: command.argv,
        status: status ?? 128,
        signal,
        ms: Date.now() - started,
        tail: text.split('\n').slice(-20).join('\n').trimEnd(),
      });
    });
  });
}

export interface PlannedCommand {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** For a build: the platform of this run of the matrix, and its artifact globs. */
  os?: string;
  arch?: string;
  artifacts?: string[];
}

export function placeholders(version: string, tag: string | null, channel: string): Record<string, string> {
  return { version, tag: tag ?? version, channel };
}

export function command(
  name: string,
  argv: readonly string[],
  values: Record<string, string>,
  env: Record<string, string> | undefined,
): PlannedCommand {
  const filled = argv.map((a) => fill(a, values));
  const extra: Record<string, string> = {
    SLIPWAY_VERSION: values.version!,
    SLIPWAY_TAG: values.tag!,
    SLIPWAY_CHANNEL: values.channel!,
    ...(values.os ? { SLIPWAY_OS: values.os } : {}),
    ...(values.arch ? { SLIPWAY_ARCH: values.arch } : {}),
  };
  for (const [k, v] of Object.entries(env ?? {})) extra[k] = fill(v, values);
  return { name, argv: filled, env: extra };
}
