import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ScratchRepo } from '../src/testing/scratch-repo.ts';

export const BIN = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));

const temps: string[] = [];
// Registered once, when the test file imports this module, so on the file's root: an `after()`
// called inside a before/beforeEach hook runs when that hook ends, which removed a folder a
// Verdaccio started in the hook still used.
after(() => Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true }))));

/** A temp folder removed when the test file ends (also one made in a hook). */
export async function tempDir(prefix = 'slipway-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export async function scratchRepo(): Promise<ScratchRepo> {
  return ScratchRepo.create(await tempDir('slipway-repo-'));
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs slipway in this process with captured output: what most CLI tests use (a spawn costs
 * ~150 ms of start-up). `env` is applied to process.env for the call, so calls are serialised.
 */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    const { main } = await import('../src/cli/main.ts');
    let stdout = '';
    let stderr = '';
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries({ NO_COLOR: '1', ...options.env })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    try {
      const status = await main(args, {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t), isTTY: false },
        env: process.env,
        cwd: options.cwd ?? process.cwd(),
      });
      return { status, stdout, stderr };
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

/** Runs the real `slipway` entry point in a child process (start-up, exit statuses, signals, crashes). */
export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

/**
 * A real .tar.gz holding `files` (path → text), byte-for-byte the same for the same input (fixed
 * mtimes, portable headers), so "the same artifact again" is the same bytes.
 */
export async function writeTarball(file: string, files: Readonly<Record<string, string>>): Promise<string> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const tar = await import('tar');
  const src = await mkdtemp(join(tmpdir(), 'slipway-tarball-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(join(src, name)), { recursive: true });
      await fs.writeFile(join(src, name), text);
      await fs.utimes(join(src, name), 0, 0);
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await tar.c({ gzip: true, file, cwd: src, portable: true, mtime: new Date(0) }, Object.keys(files).sort());
  } finally {
    await rm(src, { recursive: true, force: true });
  }
  return file;
}
