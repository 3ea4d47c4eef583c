import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import semver from 'semver';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { redact } from './redact.ts';

/**
 * The npm publisher: the npm CLI itself does the work (pack, publish, dist-tag), with argument
 * arrays. The token stays in the environment: the temporary userconfig holds `${NPM_TOKEN}`,
 * which npm expands, never the token.
 */

export interface NpmPublishResult {
  name: string;
  version: string;
  distTag: string;
  outcome: 'published' | 'unchanged' | 'planned';
  integrity: string;
  provenance: boolean;
}

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += d.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      fail(
        new SlipwayError(
          'STEP_NOT_FOUND',
          error.code === 'ENOENT' ? 'npm was not found on PATH; install Node.js with npm' : error.message,
        ),
      ),
    );
    child.on('close', (status) => done({ status: status ?? 1, stdout, stderr }));
  });
}

/** npm's own error line ("npm error code E403", "npm error 403 Forbidden …"), without anything secret. */
function npmReason(r: Run, token: string | undefined): string {
  const lines = r.stderr
    .split('\n')
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('A complete log'));
  const text = (lines.slice(0, 3).join('; ') || r.stderr.trim().split('\n').at(-1) || `exit ${r.status}`).slice(0, 400);
  return redact(text, [token]);
}

interface PackInfo {
  name: string;
  version: string;
  integrity: string;
  filename: string;
  files: { path: string }[];
}

/**
 * Publishes one package folder on a channel's dist-tag. Idempotent: the version already there with
 * the same integrity (npm pack is reproducible) only gets its dist-tag; other content is refused.
 */
export async function publishNpm(options: {
  dir: string;
  version: string;
  channel: string;
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
}): Promise<NpmPublishResult> {
  const { config } = options;
  const settings = config.release.npm;
  const dir = resolve(options.dir);
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    name?: string;
    version?: string;
    private?: boolean;
    bin?: string | Record<string, string>;
    main?: string;
  };
  if (typeof pkg.name !== 'string')
    throw new SlipwayError('NPM_PACKAGE', `${join(dir, 'package.json')} has no "name"; npm cannot publish it`);
  if (pkg.private === true)
    throw new SlipwayError(
      'NPM_PACKAGE',
      `${pkg.name} is "private": true; remove it, or drop the folder from release.npm.packages`,
    );
  if (pkg.version === undefined || semver.valid(pkg.version) === null || !semver.eq(pkg.version, options.version))
    throw new SlipwayError(
      'VERSION_MISMATCH',
      `${pkg.name}'s package.json says version ${pkg.version ?? '(none)'}, and the release is ${options.version}; slipway bump ${options.version} (the release's version-files step does it)`,
    );
  const distTag = settings.distTags[options.channel] ?? options.channel;
  const token = options.env[settings.tokenEnv] || undefined;
  const work = await mkdtemp(join(tmpdir(), 'slipway-npm-'));
  try {
    const registry = settings.registry;
    const userconfig = join(work, 'npmrc');
    const lines: string[] = [];
    if (registry !== null) {
      lines.push(`registry=${registry}`);
      if (token !== undefined)
        lines.push(
          `//${registry.replace(/^https?:\/\//, '').replace(/\/?$/, '/')}:_authToken=\${${settings.tokenEnv}}`,
        );
    }
    await writeFile(userconfig, `${lines.join('\n')}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv =
      registry === null ? options.env : { ...options.env, npm_config_userconfig: userconfig };
    const reg = registry === null ? [] : ['--registry', registry];

    // What would ship, read as npm packs it: a package without its built bin or main is refused.
    const pack = await npm(['pack', '--json', '--pack-destination', work, ...reg], dir, env);
    if (pack.status !== 0)
      throw new SlipwayError('NPM_PUBLISH', `npm pack of ${pkg.name} failed: ${npmReason(pack, token)}`);
    const info = (JSON.parse(pack.stdout) as PackInfo[])[0]!;
    const shipped = new Set(info.files.map((f) => f.path.replace(/^\.\//, '')));
    const needed = [
      ...(typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {})),
      ...(pkg.main ? [pkg.main] : []),
    ].map((p) => p.replace(/^\.\//, ''));
    const missing = needed.filter((p) => !shipped.has(p));
    if (missing.length > 0)
      throw new SlipwayError(
        'NPM_PACKAGE',
        `${pkg.name}@${options.version} would ship without ${missing.join(', ')} (named by "bin"/"main", but not in the package: not built yet, or left out by "files"); build first (a release.build step) or fix "files"`,
      );

    const provenance =
      settings.provenance === true ||
      (settings.provenance === 'auto' &&
        (options.env.ACTIONS_ID_TOKEN_REQUEST_URL !== undefined || options.env.NPM_ID_TOKEN !== undefined));
    const view = await npm(['view', `${pkg.name}@${options.version}`, 'dist.integrity', '--json', ...reg], dir, env);
    const published = view.status === 0 && view.stdout.trim() !== '' ? (JSON.parse(view.stdout) as string) : null;
    if (published === null && view.status !== 0 && !/E404|404/.test(view.stderr))
      throw new SlipwayError('NPM_PUBLISH', `cannot ask the registry about ${pkg.name}: ${npmReason(view, token)}`);
    if (published !== null && published !== info.integrity)
      throw new SlipwayError(
        'PUBLISH_CONFLICT',
        `${pkg.name}@${options.version} is on the registry already with other content (${published.slice(0, 20)}…, this build ${info.integrity.slice(0, 20)}…); a published version never changes: release a new version`,
      );
    const base = { name: pkg.name, version: options.version, distTag, integrity: info.integrity, provenance };
    if (options.dryRun) return { ...base, outcome: 'planned' };
    if (token === undefined && registry !== null)
      throw new SlipwayError(
        'TOKEN_MISSING',
        `publishing ${pkg.name} to ${registry} needs a token in $${settings.tokenEnv}; set it (an npm automation or granular token), or name another variable in release.npm.tokenEnv`,
      );
    if (published === null) {
      const args = ['publish', join(work, info.filename), '--tag', distTag, ...reg];
      if (settings.access !== null) args.push('--access', settings.access);
      if (provenance) args.push('--provenance');
      const r = await npm(args, dir, env);
      if (r.status !== 0) {
        // A retry after a cut connection: the registry may have it now.
        const again = await npm(
          ['view', `${pkg.name}@${options.version}`, 'dist.integrity', '--json', ...reg],
          dir,
          env,
        );
        if (!(again.status === 0 && again.stdout.includes(info.integrity)))
          throw new SlipwayError(
            'NPM_PUBLISH',
            `npm publish of ${pkg.name}@${options.version} failed: ${npmReason(r, token)}`,
          );
      }
      return { ...base, outcome: 'published' };
    }
    const tags = await npm(['dist-tag', 'ls', pkg.name, ...reg], dir, env);
    if (!tags.stdout.split('\n').some((l) => l.trim() === `${distTag}: ${options.version}`)) {
      const r = await npm(['dist-tag', 'add', `${pkg.name}@${options.version}`, distTag, ...reg], dir, env);
      if (r.status !== 0)
        throw new SlipwayError(
          'NPM_PUBLISH',
          `npm dist-tag add ${pkg.name}@${options.version} ${distTag} failed: ${npmReason(r, token)}`,
        );
    }
    return { ...base, outcome: 'unchanged' };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
