import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { ERROR_CATALOGUE, SlipwayError } from '../core/errors.ts';
import { SLIPWAY_VERSION } from '../io/package-info.ts';
import { takeEarlyStop } from '../io/early-stop.ts';
import { EXIT, type CliIo, type CommandDef, type OptionSpec, type RunContext } from './command.ts';
import { createOutput } from './output.ts';
import { COMMANDS, type CommandEntry } from './table.ts';

const GLOBAL_VALUE_OPTIONS = new Set(['-C', '--cwd', '--config']);

/** The command the words of argv name (the longest match of leading words), without loading anything. */
export function selectCommand(argv: readonly string[]): CommandEntry | null {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (a.startsWith('-')) continue;
    else words.push(a);
  }
  let best: CommandEntry | null = null;
  for (const entry of COMMANDS) {
    if (entry.path.length > words.length || (best && best.path.length >= entry.path.length)) continue;
    if (entry.path.every((w, i) => words[i] === w)) best = entry;
  }
  return best;
}

function addSpec(cmd: Command, def: CommandDef<Record<string, OptionSpec>>): void {
  for (const a of def.args ?? []) cmd.argument(a.name, a.description ?? '');
  for (const spec of Object.values(def.options)) {
    const option = new Option(spec.flags, spec.description);
    if (spec.default !== undefined) option.default(spec.default);
    if (spec.required) option.makeOptionMandatory(true);
    cmd.addOption(option);
  }
}

function stopSignal(): Promise<void> {
  const early = takeEarlyStop();
  return new Promise((done) => {
    if (early) {
      done();
      return;
    }
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

interface Built {
  program: Command;
  /** Set when a command that was not prepared was dispatched (its module is loaded and argv parsed again). */
  fallback: CommandEntry | null;
  code: number;
}

async function build(io: CliIo, prepared: readonly CommandEntry[]): Promise<Built> {
  const built: Built = { program: new Command('slipway'), fallback: null, code: 0 };
  const program = built.program
    .description('Release engineering and safe self-updates for self-hosted software')
    .version(`slipway v${SLIPWAY_VERSION}`, '-V', 'print the version (also: slipway --version, slipway version)')
    .option('-C, --cwd <dir>', 'run in this repository instead of the current folder')
    .option('--config <file>', 'read this config file instead of slipway.json at the repository root')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    // Before the subcommands are added, so that they inherit it: main() owns the exit status.
    .exitOverride();
  const defs = new Map<CommandEntry, CommandDef<Record<string, OptionSpec>>>();
  for (const entry of prepared) if (entry.load) defs.set(entry, (await entry.load()).default);
  const byPath = new Map<string, Command>([['', program]]);
  for (const entry of COMMANDS) {
    const parent = byPath.get(entry.path.slice(0, -1).join(' '))!;
    const cmd = parent.command(entry.path.at(-1)!).description(entry.summary);
    if (entry.after) cmd.addHelpText('after', entry.after);
    byPath.set(entry.path.join(' '), cmd);
    if (!entry.load) continue;
    const def = defs.get(entry);
    if (def) {
      addSpec(cmd, def);
      cmd.action(async (...received: unknown[]) => {
        const command = received.at(-1) as Command;
        const args = command.processedArgs.flat().filter((a): a is string => typeof a === 'string');
        const flags = command.optsWithGlobals();
        const ctx: RunContext = {
          io,
          out: createOutput(flags.json === true, io),
          path: (p) => resolve(io.cwd, p),
          stopped: stopSignal,
        };
        built.code = (await def.run(ctx, flags, args)) ?? 0;
      });
    } else {
      // Not prepared: parse again with this command's options once it is known to be the one.
      cmd.allowUnknownOption().allowExcessArguments();
      cmd.action(() => {
        built.fallback = entry;
      });
    }
  }
  return built;
}

function report(io: CliIo, error: SlipwayError, json: boolean): void {
  if (json) {
    const body = { code: error.code, message: error.message, details: error.details, hint: error.hint };
    io.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  }
  io.stderr.write(`slipway: ${error.message}\n`);
  for (const line of error.details) io.stderr.write(`  - ${line}\n`);
}

/** Runs slipway with these arguments (without `node slipway`) and returns the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args = [...argv];
  // `--version` alone is Slipway's version; after a command (update --version v0.4.3) it is that command's.
  if (args.length === 1 && args[0] === '--version') args = ['-V'];
  if (args[0] === 'help') {
    const named = args.slice(1).filter((a) => !a.startsWith('-'));
    if (named.length > 0 && selectCommand(named) === null) {
      io.stderr.write(`error: unknown command '${named.join(' ')}'\n(run slipway --help for the commands)\n`);
      return EXIT.usage;
    }
    args = [...args.slice(1), '--help'];
  }
  const first = selectCommand(args);
  const prepared = first ? [first] : [];
  try {
    // Options placed oddly (`update --root /x check`) can make commander pick another command than
    // the words suggested: that one is loaded too and argv parsed again (each pass adds one).
    for (let pass = 0; pass <= 3; pass++) {
      const built = await build(io, prepared);
      await built.program.parseAsync(args, { from: 'user' });
      if (built.fallback === null) return built.code;
      prepared.push(built.fallback);
    }
    throw new SlipwayError('BUG', `could not settle which command ${args.join(' ')} names`);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; real usage errors were printed already.
      if (error.exitCode === 0) return EXIT.ok;
      if (args.includes('--json')) {
        const body = {
          code: 'USAGE',
          message: error.message.replace(/^error: /, ''),
          details: [],
          hint: ERROR_CATALOGUE.USAGE.hint,
        };
        io.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
      }
      return EXIT.usage;
    }
    if (error instanceof SlipwayError) {
      report(io, error as SlipwayError, args.includes('--json'));
      return error.exitCode;
    }
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number') return error.exitCode;
    io.stderr.write(
      `slipway: this is a bug, please report it with the command you ran:\n${(error as Error).stack ?? String(error)}\n`,
    );
    return EXIT.bug;
  }
}
