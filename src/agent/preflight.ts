import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { exists } from '../io/optional-read.ts';
import { migrateConfigFile } from '../migrate/config-file.ts';
import { isPostgresUrl, loadMigrations } from '../migrate/runner.ts';
import type { InstanceContext } from './context.ts';
import { expectedConfigVersion, runtimeOf } from './runtime.ts';
import { configVersion, dbVersion } from './steps.ts';

async function executable(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : join(cwd, command)]
    : (env.PATH ?? '').split(delimiter).map((d) => join(d, command));
  for (const c of candidates)
    if (
      await access(c, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  return false;
}

/**
 * Judges a staged release completely before anything is stopped: its start command can be run,
 * every migration file parses and each one the database has not run yet has a Down, the config
 * migrations apply cleanly to the current config.json (in memory) and know its config_version.
 * Throws PREFLIGHT with every problem at once; the running app is untouched.
 */
export async function preflightRelease(ctx: InstanceContext, version: string): Promise<void> {
  const { manifest, dir } = await ctx.manifestOf(version);
  const problems: string[] = [];
  const { run, health } = runtimeOf(ctx, version, dir, manifest);
  if (health.url !== undefined) {
    // The health check asks the app, on this machine: never another host (a release could point it
    // at a service that answers 200 whatever the app does, or at a cloud metadata address).
    let host = '';
    try {
      host = new URL(health.url).hostname;
    } catch {
      problems.push(`its health url ${JSON.stringify(health.url)} is not a URL`);
    }
    if (host !== '' && !['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host))
      problems.push(`its health url goes to ${host}; it must ask the app on 127.0.0.1, localhost or [::1]`);
  }
  const command = run.command[0] ?? '';
  if (!(await executable(command, dir, { ...process.env, ...run.env })))
    problems.push(`its start command ${JSON.stringify(command)} is not an executable file`);
  if (manifest.migrations) {
    const folder = join(dir, manifest.migrations);
    if (await exists(folder)) {
      try {
        const applied = await dbVersion(ctx);
        for (const m of await loadMigrations(folder))
          if (m.version > applied && m.down.length === 0)
            problems.push(`migration ${m.file} has no Down section, so it could not be rolled back`);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  if (manifest.configMigrations && (await exists(ctx.layout.appConfig))) {
    try {
      const known = await expectedConfigVersion(dir, manifest);
      const current = await configVersion(ctx);
      if (known !== null && current !== null && current > known)
        problems.push(
          `config.json is at config_version ${current}, newer than ${version} knows (${known}); it was written by a newer release`,
        );
      await migrateConfigFile({
        configPath: ctx.layout.appConfig,
        migrationsPath: join(dir, manifest.configMigrations),
        target: null,
        dryRun: true,
        now: ctx.clock.now(),
      });
    } catch (error) {
      problems.push(`its config migrations do not apply to config.json: ${(error as Error).message}`);
    }
  }
  const database = ctx.database();
  if (!isPostgresUrl(database) && (await exists(database))) {
    // The snapshot is a full copy of the database, written beside the state before anything changes.
    const size = (await stat(database)).size;
    const fs = await statfs(ctx.layout.state);
    const free = fs.bavail * fs.bsize;
    const need = size + 64 * 1048576;
    if (free < need)
      problems.push(
        `the database snapshot needs about ${Math.round(need / 1048576)} MiB in ${ctx.layout.state} and ${Math.round(free / 1048576)} MiB are free; free some space (or move the root to a larger disk)`,
      );
  }
  if (problems.length > 0)
    throw new SlipwayError('PREFLIGHT', `${version} was refused before anything was stopped: ${problems.join('; ')}`, {
      details: problems,
    });
}
