import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SlipwayError } from '../core/errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { isSingleExecutable } from '../io/packaged.ts';
import type { Layout } from './layout.ts';

const run = promisify(execFile);

/**
 * `slipway service install|uninstall|status`: one systemd unit runs the agent, which runs the app.
 * The unit is written atomically, checked with `systemd-analyze verify` when it is installed, and
 * enabled and started only where systemd runs; elsewhere nothing is written and the command to
 * run the agent by hand is given instead.
 */
export interface ServiceOptions {
  layout: Layout;
  /** The unit's name without .service (default slipway-<folder name of the root>). */
  name?: string;
  unitDir?: string;
  /** The system user the agent runs as (it must own the install root). */
  user?: string;
  /** The program that runs slipway: this executable, or node and the CLI script. */
  command?: string[];
}

export const DEFAULT_UNIT_DIR = '/etc/systemd/system';

/** How this process was started as slipway: the single executable itself, or node and its script. */
export function slipwayCommand(): string[] {
  return isSingleExecutable() ? [process.execPath] : [process.execPath, process.argv[1]!];
}

export function unitName(o: ServiceOptions): string {
  if (o.name === undefined) {
    const folder = o.layout.root.split('/').filter(Boolean).at(-1) ?? 'agent';
    return `slipway-${folder.replace(/[^A-Za-z0-9:_.-]+/g, '-')}`.slice(0, 200);
  }
  const name = o.name.replace(/\.service$/, '');
  if (!/^[A-Za-z0-9:_.-]{1,200}$/.test(name))
    throw new SlipwayError(
      'USAGE',
      `--name "${name}" is not a systemd unit name; use letters, digits, and : _ . - only`,
    );
  return name;
}

/** One word of an ExecStart= or Environment= line, quoted the way systemd reads it. */
export function systemdWord(word: string): string {
  if (/[\n\r\u0000]/.test(word))
    throw new SlipwayError('USAGE', `${JSON.stringify(word)} has a line break; systemd units cannot carry it`);
  const escaped = word.replace(/%/g, '%%');
  return /^[A-Za-z0-9/_.:=@+,-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function renderUnit(o: ServiceOptions): string {
  const command = [...(o.command ?? slipwayCommand()), 'agent', '--root', o.layout.root];
  if (o.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(o.user))
    throw new SlipwayError('USAGE', `--user "${o.user}" is not a user name (expected e.g. slipway)`);
  return [
    '[Unit]',
    `Description=Slipway agent (updates the app in ${o.layout.root.replace(/%/g, '%%')})`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${command.map(systemdWord).join(' ')}`,
    ...(o.user ? [`User=${o.user}`] : []),
    `Environment=${systemdWord(`SLIPWAY_ROOT=${o.layout.root}`)}`,
    // The agent stops the app itself (SIGTERM, then SIGKILL after the manifest's stopTimeout).
    'KillMode=mixed',
    'TimeoutStopSec=60',
    'Restart=always',
    'RestartSec=5',
    'NoNewPrivileges=true',
    'PrivateTmp=true',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** systemd manages services here (PID 1 is systemd): what sd_booted() checks. */
export function systemdRunning(): boolean {
  return existsSync('/run/systemd/system');
}

async function which(tool: string): Promise<boolean> {
  return await run('sh', ['-c', 'command -v "$1"', 'sh', tool])
    .then(() => true)
    .catch(() => false);
}

/** Problems `systemd-analyze verify` finds in the unit (none when it is not installed). */
export async function verifyUnit(file: string): Promise<string[] | null> {
  if (!(await which('systemd-analyze'))) return null;
  const r = await run('systemd-analyze', ['verify', file]).then(
    (x) => ({ ok: true, out: x.stderr }),
    (e: { stderr?: string; message: string }) => ({ ok: false, out: e.stderr ?? e.message }),
  );
  const lines = r.out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Failed to prepare filename|.*not running|.*System has not been booted)/i.test(l));
  return r.ok && lines.length === 0 ? [] : lines.length > 0 ? lines : ['systemd-analyze verify failed'];
}

async function systemctl(...args: string[]): Promise<void> {
  await run('systemctl', args).catch((e: { stderr?: string; message: string }) => {
    throw new SlipwayError('SERVICE_FAILED', `systemctl ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  });
}

const byHand = (o: ServiceOptions): string =>
  [...(o.command ?? slipwayCommand()), 'agent', '--root', o.layout.root].map(systemdWord).join(' ');

export interface ServiceResult {
  name: string;
  unitFile: string;
  unit: string;
  written: boolean;
  started: boolean;
  verified: boolean | null;
  /** What to run when systemd cannot. */
  byHand: string;
}

export async function installService(o: ServiceOptions & { start: boolean; dryRun?: boolean }): Promise<ServiceResult> {
  const name = unitName(o);
  const unitDir = o.unitDir ?? DEFAULT_UNIT_DIR;
  const unitFile = join(unitDir, `${name}.service`);
  const unit = renderUnit(o);
  const result: ServiceResult = {
    name,
    unitFile,
    unit,
    written: false,
    started: false,
    verified: null,
    byHand: byHand(o),
  };
  if (!existsSync(o.layout.agentConfig))
    throw new SlipwayError('NOT_INSTALLED', `${o.layout.root} is not an install root; run slipway install first`);
  if (o.start && !systemdRunning())
    throw new SlipwayError(
      'SERVICE_FAILED',
      `systemd is not running on this machine, so no service was installed; run the agent by hand (or under your own supervisor): ${result.byHand}\n(slipway service install --write-only --unit-dir <dir> writes the unit only)`,
    );
  if (!existsSync(unitDir))
    throw new SlipwayError(
      'USAGE',
      `${unitDir} does not exist; pass --unit-dir <dir> (systemd reads /etc/systemd/system)`,
    );
  // Checked before it is put in place: a unit systemd would reject is never installed.
  const scratch = join(o.layout.state, `${name}.service`);
  await writeFileAtomic(scratch, unit, 0o644);
  try {
    const problems = await verifyUnit(scratch);
    if (problems && problems.length > 0)
      throw new SlipwayError('SERVICE_FAILED', `systemd-analyze verify rejects the unit: ${problems.join('; ')}`);
    result.verified = problems === null ? null : true;
  } finally {
    await rm(scratch, { force: true });
  }
  if (o.dryRun) return result;
  try {
    await writeFileAtomic(unitFile, unit, 0o644);
  } catch (error) {
    throw new SlipwayError(
      'SERVICE_FAILED',
      `cannot write ${unitFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run as root, or pass --unit-dir`,
    );
  }
  result.written = true;
  if (o.start) {
    try {
      await systemctl('daemon-reload');
      await systemctl('enable', '--now', `${name}.service`);
    } catch (error) {
      // Not left half-installed: a unit that does not start is taken out again.
      await rm(unitFile, { force: true });
      await systemctl('daemon-reload').catch(() => undefined);
      throw error;
    }
    result.started = true;
  }
  return result;
}

export async function uninstallService(
  o: ServiceOptions & { dryRun?: boolean },
): Promise<{ name: string; unitFile: string; removed: boolean; stopped: boolean }> {
  const name = unitName(o);
  const unitFile = join(o.unitDir ?? DEFAULT_UNIT_DIR, `${name}.service`);
  if (!existsSync(unitFile))
    throw new SlipwayError('USAGE', `there is no ${unitFile}; slipway service status shows what is installed`);
  if (o.dryRun) return { name, unitFile, removed: false, stopped: false };
  let stopped = false;
  if (systemdRunning()) {
    await systemctl('disable', '--now', `${name}.service`);
    stopped = true;
  }
  await rm(unitFile);
  if (systemdRunning()) await systemctl('daemon-reload');
  return { name, unitFile, removed: true, stopped };
}

export async function serviceStatus(o: ServiceOptions): Promise<{
  name: string;
  unitFile: string;
  installed: boolean;
  execStart: string | null;
  systemd: boolean;
  active: string | null;
  enabled: string | null;
}> {
  const name = unitName(o);
  const unitFile = join(o.unitDir ?? DEFAULT_UNIT_DIR, `${name}.service`);
  const text = await readFile(unitFile, 'utf8').catch(() => null);
  const systemd = systemdRunning();
  const ask = async (verb: string): Promise<string | null> =>
    systemd
      ? run('systemctl', [verb, `${name}.service`]).then(
          (r) => r.stdout.trim(),
          (e: { stdout?: string }) => e.stdout?.trim() || 'unknown',
        )
      : null;
  return {
    name,
    unitFile,
    installed: text !== null,
    execStart:
      text
        ?.split('\n')
        .find((l) => l.startsWith('ExecStart='))
        ?.slice('ExecStart='.length) ?? null,
    systemd,
    active: await ask('is-active'),
    enabled: await ask('is-enabled'),
  };
}
