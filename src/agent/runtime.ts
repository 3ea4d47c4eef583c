import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { APP_MANIFEST, fill, parseAppManifest, type AppManifest } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { exists } from '../io/optional-read.ts';
import { isSingleExecutable } from '../io/packaged.ts';
import { loadConfigMigrations } from '../migrate/config-file.ts';
import { loadMigrations } from '../migrate/runner.ts';
import type { AppRuntime } from './app-process.ts';
import type { InstanceContext } from './context.ts';
import type { HealthSpec } from './health.ts';
import type { Layout } from './layout.ts';

/** This machine as a feed platform: linux/amd64, linux/arm64, … */
export function nodePlatform(): string {
  const a = arch();
  return `${platform()}/${a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a}`;
}

/** A kept release's app manifest (slipway.app.json at the top of its folder). */
export async function readReleaseManifest(
  layout: Layout,
  version: string,
): Promise<{ manifest: AppManifest; dir: string }> {
  const dir = layout.release(version);
  let text: string;
  try {
    text = await readFile(join(dir, APP_MANIFEST), 'utf8');
  } catch (error) {
    throw new SlipwayError(
      'APP_MANIFEST_MISSING',
      `${join(dir, APP_MANIFEST)} is missing: every release carries an app manifest at the top of its archive`,
      { cause: error },
    );
  }
  return { manifest: parseAppManifest(text, join(dir, APP_MANIFEST), version), dir };
}

/** Largest migration version in a release's migrations folder (0 when it has none). */
export async function expectedDbVersion(releaseDir: string, manifest: AppManifest): Promise<bigint> {
  if (!manifest.migrations) return 0n;
  const dir = join(releaseDir, manifest.migrations);
  if (!(await exists(dir))) return 0n;
  let max = 0n;
  for (const m of await loadMigrations(dir)) if (m.version > max) max = m.version;
  return max;
}

/** The config_version a release's config migrations reach (null when it has none). */
export async function expectedConfigVersion(releaseDir: string, manifest: AppManifest): Promise<number | null> {
  if (!manifest.configMigrations) return null;
  const m = await loadConfigMigrations(join(releaseDir, manifest.configMigrations));
  return Math.max(1, ...m.migrations.map((x) => x.version));
}

/** How to run a version and check its health: the manifest's placeholders filled, the environment set. */
function nodeOnPath(path: string): string {
  for (const dir of path.split(':').filter(Boolean)) {
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return 'node'; // not found: the preflight's start check says so
}

export function runtimeOf(
  ctx: InstanceContext,
  version: string,
  dir: string,
  app: AppManifest,
): { run: AppRuntime; health: HealthSpec } {
  const vars = {
    port: String(ctx.config.app.port),
    root: ctx.layout.root,
    data: ctx.layout.data,
    release: dir,
    version,
    config: ctx.layout.appConfig,
    db: ctx.database(),
    // In the single executable, process.execPath is Slipway itself: an app that needs Node gets the one on PATH.
    node: isSingleExecutable() ? nodeOnPath(ctx.env.PATH ?? '') : process.execPath,
  };
  const where = `${version}/${APP_MANIFEST}`;
  const env: Record<string, string> = {
    PORT: vars.port,
    SLIPWAY_ROOT: vars.root,
    SLIPWAY_DATA: vars.data,
    SLIPWAY_DB: vars.db,
    SLIPWAY_CONFIG: vars.config,
    SLIPWAY_VERSION: version,
    SLIPWAY_RELEASE: dir,
    SLIPWAY_CHANNEL: ctx.config.update.channel,
  };
  for (const [k, v] of Object.entries(app.start.env)) env[k] = fill(v, vars, where);
  const run: AppRuntime = {
    version,
    command: app.start.command.map((c) => fill(c, vars, where)),
    cwd: dir,
    env,
    stopTimeoutMs: parseDuration(app.start.stopTimeout),
  };
  const health: HealthSpec = {
    ...(app.health.url
      ? { url: fill(app.health.url, vars, where) }
      : { command: app.health.command!.map((c) => fill(c, vars, where)) }),
    cwd: dir,
    env,
    successes: app.health.successes,
    interval: app.health.interval,
    timeout: app.health.timeout,
  };
  return { run, health };
}
