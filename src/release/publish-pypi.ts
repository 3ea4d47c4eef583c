import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { unzipSync } from 'fflate';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  checkDistribution,
  distributionOf,
  field,
  normalizeProjectName,
  oidcBaseOf,
  parseCoreMetadata,
  parseSimpleIndex,
  simpleIndexOf,
  uploadFields,
  type CoreMetadata,
} from '../core/publish/pypi.ts';
import { gpgKey } from '../core/publish/sign.ts';
import { inspectArchive } from '../io/archive.ts';
import { networkReason, redact } from './redact.ts';

/**
 * The PyPI publisher: the release's wheels and sdists, checked as `twine check` checks them, then
 * uploaded through the legacy upload API (PyPI, TestPyPI, any private index) like `twine upload
 * --skip-existing`, except that a file already there is compared, not assumed: the same bytes are
 * a no-op, other bytes are refused.
 */

export interface PypiFile {
  path: string;
  filename: string;
  sha256: string;
  outcome: 'published' | 'unchanged' | 'planned';
  signed: boolean;
}

export interface PypiPublishResult {
  project: string;
  repository: string;
  outcome: 'published' | 'unchanged' | 'planned';
  files: PypiFile[];
  warnings: string[];
  trustedPublishing: boolean;
}

interface Dist {
  path: string;
  filename: string;
  meta: CoreMetadata;
  bytes: Buffer;
  sha256: string;
  md5: string;
}

/** A wheel's METADATA or an sdist's PKG-INFO; null for an artifact that is not a Python package. */
async function readMetadata(path: string): Promise<CoreMetadata | null | 'absent'> {
  const name = basename(path);
  if (name.endsWith('.whl')) {
    let found: Uint8Array | undefined;
    try {
      const files = unzipSync(new Uint8Array(await readFile(path)), {
        filter: (f) => /^[^/]+\.dist-info\/METADATA$/.test(f.name),
      });
      found = Object.values(files)[0];
    } catch (error) {
      throw new SlipwayError('PYPI_PACKAGE', `${name} is not a readable wheel (zip): ${(error as Error).message}`);
    }
    return found === undefined ? 'absent' : parseCoreMetadata(Buffer.from(found).toString('utf8'));
  }
  if (/\.tar\.gz$/.test(name)) {
    let report;
    try {
      report = await inspectArchive(path, undefined, (p) => /^[^/]+\/PKG-INFO$/.test(p));
    } catch (error) {
      throw new SlipwayError('ARTIFACT_FORMAT', `${name} is not a readable .tar.gz: ${(error as Error).message}`);
    }
    const pkgInfo = [...report.read.entries()].find(([p]) => p.endsWith('/PKG-INFO'))?.[1];
    return pkgInfo === undefined ? null : parseCoreMetadata(pkgInfo);
  }
  return null;
}

/** The release's Python packages among its artifacts, each checked; refused with every problem named. */
export async function pythonPackages(
  artifacts: readonly string[],
  version: string,
): Promise<{ dists: Dist[]; warnings: string[] }> {
  const dists: Dist[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const path of artifacts) {
    const filename = basename(path);
    if (!/\.(whl|tar\.gz)$/.test(filename) || distributionOf(filename) === null) continue;
    const meta = await readMetadata(path);
    if (meta === null) continue; // a .tar.gz without PKG-INFO is an app archive, not an sdist
    const check = checkDistribution(filename, meta === 'absent' ? null : meta, version);
    errors.push(...check.errors);
    warnings.push(...check.warnings);
    if (check.errors.length > 0 || meta === 'absent') continue;
    const bytes = await readFile(path);
    dists.push({
      path,
      filename,
      meta,
      bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      md5: createHash('md5').update(bytes).digest('hex'),
    });
  }
  if (errors.length > 0)
    throw new SlipwayError(
      'PYPI_PACKAGE',
      `the Python packages cannot be uploaded (twine check would fail):\n  ${errors.join('\n  ')}\nfix the version or metadata (pyproject.toml) and build again`,
    );
  if (dists.length === 0)
    throw new SlipwayError(
      'PYPI_PACKAGE',
      `release.publish has "pypi", and none of the release's artifacts is a wheel or an sdist (${artifacts.map((a) => basename(a)).join(', ') || 'no artifacts'}); build them in release.build with "artifacts": ["dist/*.whl", "dist/*.tar.gz"]`,
    );
  const names = new Set(dists.map((d) => normalizeProjectName(field(d.meta, 'Name')!)));
  if (names.size > 1)
    throw new SlipwayError(
      'PYPI_PACKAGE',
      `the artifacts are packages of ${[...names].join(' and ')}; one release uploads one project`,
    );
  return { dists, warnings };
}

const basic = (user: string, secret: string): string => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

async function bodyText(r: Response): Promise<string> {
  return (await r.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Trusted publishing: GitHub Actions' OIDC token for the index's audience, exchanged for an upload token. */
async function mintToken(repository: string, env: NodeJS.ProcessEnv): Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl === undefined || requestToken === undefined)
    throw new SlipwayError(
      'TOKEN_MISSING',
      'trusted publishing needs the CI\'s OIDC token (GitHub Actions with "permissions: id-token: write"); it is not offered here',
    );
  const base = oidcBaseOf(repository);
  const where = `trusted publishing with ${base}`;
  const audience = await fetch(new URL('_/oidc/audience', base), { signal: AbortSignal.timeout(30_000) }).catch(
    (e: Error) => {
      throw new SlipwayError('PYPI_UPLOAD', `${where}: cannot ask for the audience: ${e.message}`);
    },
  );
  if (!audience.ok)
    throw new SlipwayError(
      'PYPI_UPLOAD',
      `${where}: the index offers no trusted publishing (GET _/oidc/audience: ${audience.status}); set $PYPI_TOKEN instead`,
    );
  const { audience: aud } = (await audience.json()) as { audience: string };
  const url = new URL(requestUrl);
  url.searchParams.set('audience', aud);
  const id = await fetch(url, {
    headers: { authorization: `bearer ${requestToken}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!id.ok) throw new SlipwayError('PYPI_UPLOAD', `${where}: the CI refused an OIDC token (${id.status})`);
  const { value } = (await id.json()) as { value: string };
  const minted = await fetch(new URL('_/oidc/mint-token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: value }),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = (await minted.json().catch(() => ({}))) as {
    token?: string;
    message?: string;
    errors?: { code: string; description: string }[];
  };
  if (!minted.ok || typeof answer.token !== 'string')
    throw new SlipwayError(
      'PYPI_UPLOAD',
      `${where}: the index did not trust this workflow (${minted.status}${answer.errors ? `: ${answer.errors.map((e) => e.description).join('; ')}` : answer.message ? `: ${answer.message}` : ''}); register it as a trusted publisher of the project`,
    );
  return answer.token;
}

/** The files of the project the index lists already, with their sha256. */
async function uploaded(
  index: string,
  project: string,
  auth: string | null,
): Promise<Map<string, string | null> | 'unknown'> {
  const url = `${index}${normalizeProjectName(project)}/`;
  const r = await fetch(url, {
    headers: { accept: 'text/html', ...(auth === null ? {} : { authorization: auth }) },
    signal: AbortSignal.timeout(30_000),
  }).catch(() => null);
  if (r === null || r.status >= 500 || r.status === 401 || r.status === 403) return 'unknown';
  if (r.status === 404) return new Map();
  if (!r.ok) return 'unknown';
  return new Map(parseSimpleIndex(await r.text()).map((f) => [f.filename, f.sha256]));
}

function gpg(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('gpg', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new SlipwayError(
          'GPG_FAILED',
          e.code === 'ENOENT' ? 'release.sign.gpg is set and gpg is not installed (apt-get install gnupg)' : e.message,
        ),
      ),
    );
    child.on('close', (status) => resolve({ status: status ?? 1, stderr }));
  });
}

/** gpg --detach-sign --armor: <file>.asc beside the file, as `twine upload --sign` makes it. */
async function signDetached(path: string, key: string, env: NodeJS.ProcessEnv): Promise<string> {
  const asc = `${path}.asc`;
  await rm(asc, { force: true });
  const r = await gpg(
    ['--batch', '--yes', '--detach-sign', '--armor', '--local-user', key, '--output', asc, path],
    env,
  );
  if (r.status !== 0)
    throw new SlipwayError(
      'GPG_FAILED',
      `gpg could not sign ${basename(path)} with ${key}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
    );
  return asc;
}

export async function publishPypi(options: {
  artifacts: readonly string[];
  version: string;
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
  onProgress?: (line: string) => void;
}): Promise<PypiPublishResult> {
  const settings = options.config.release.pypi;
  const { dists, warnings } = await pythonPackages(options.artifacts, options.version);
  const project = field(dists[0]!.meta, 'Name')!;
  const repository = settings.repository;
  const index = simpleIndexOf(repository, settings.index);
  const token = options.env[settings.tokenEnv] || undefined;
  const trusted =
    token === undefined &&
    (settings.trustedPublishing === true ||
      (settings.trustedPublishing === 'auto' && options.env.ACTIONS_ID_TOKEN_REQUEST_URL !== undefined));
  if (token === undefined && !trusted)
    throw new SlipwayError(
      'TOKEN_MISSING',
      `uploading ${project} to ${repository} needs a token in $${settings.tokenEnv} (a PyPI API token), or trusted publishing from CI (release.pypi.trustedPublishing)`,
    );
  const secret = token ?? (options.dryRun ? null : await mintToken(repository, options.env));
  const auth = secret === null ? null : basic(settings.username, secret);
  // The token, and the Basic credentials made of it (a server may echo the header back).
  const secrets = [secret, token, auth, auth?.slice('Basic '.length)].filter((s): s is string => typeof s === 'string');
  const sameHost = new URL(index).origin === new URL(repository).origin;
  const there = await uploaded(index, project, sameHost ? auth : null);
  const key = gpgKey(options.config);
  const files: PypiFile[] = [];

  const conflict = (filename: string, sha: string): SlipwayError =>
    new SlipwayError(
      'PUBLISH_CONFLICT',
      `${filename} is on ${index} already with other content (sha256 ${sha.slice(0, 12)}…); an index never takes a file twice: release a new version`,
    );

  for (const d of dists) {
    const known = there === 'unknown' ? undefined : there.get(d.filename);
    if (known !== undefined && known !== null && known !== d.sha256) throw conflict(d.filename, known);
    if (known === d.sha256) {
      files.push({ path: d.path, filename: d.filename, sha256: d.sha256, outcome: 'unchanged', signed: false });
      continue;
    }
    if (options.dryRun) {
      files.push({ path: d.path, filename: d.filename, sha256: d.sha256, outcome: 'planned', signed: key !== null });
      continue;
    }
    const asc = key === null ? null : await signDetached(d.path, key, options.env);
    const form = new FormData();
    for (const [name, value] of uploadFields(d.meta, distributionOf(d.filename)!, d)) form.append(name, value);
    form.append('content', await openAsBlob(d.path), d.filename);
    if (asc !== null) form.append('gpg_signature', await openAsBlob(asc), basename(asc));
    options.onProgress?.(`pypi: uploading ${d.filename} (${d.bytes.length} bytes) to ${repository}`);
    let failure: string | null = null;
    let exists = false;
    try {
      const r = await fetch(repository, {
        method: 'POST',
        headers: { authorization: auth!, 'user-agent': 'slipway' },
        body: form,
        signal: AbortSignal.timeout(10 * 60_000),
      });
      const text = r.ok ? '' : await bodyText(r);
      if (!r.ok) {
        exists = r.status === 409 || /already exist/i.test(text) || (r.status === 400 && /exist/i.test(text));
        failure = `${r.status} ${r.statusText}${text === '' ? '' : `: ${text}`}`;
        if (r.status === 401 || r.status === 403)
          failure += `; check the token in $${settings.tokenEnv} (an API token scoped to ${project}) or the trusted publisher`;
      }
    } catch (error) {
      failure = `the connection failed (${networkReason(error)})`;
    }
    if (failure !== null) {
      // The upload may have landed before the connection broke, or an index may refuse a
      // duplicate: what it lists now decides.
      const now = await uploaded(index, project, sameHost ? auth : null);
      const sha = now === 'unknown' ? undefined : now.get(d.filename);
      if (sha !== undefined && sha !== null && sha !== d.sha256) throw conflict(d.filename, sha);
      if (sha === d.sha256 || (exists && sha === null)) {
        files.push({ path: d.path, filename: d.filename, sha256: d.sha256, outcome: 'unchanged', signed: false });
        continue;
      }
      throw new SlipwayError(
        'PYPI_UPLOAD',
        redact(`uploading ${d.filename} to ${repository} failed: ${failure}`, secrets),
      );
    }
    files.push({ path: d.path, filename: d.filename, sha256: d.sha256, outcome: 'published', signed: asc !== null });
  }
  const outcome = files.some((f) => f.outcome === 'planned')
    ? 'planned'
    : files.some((f) => f.outcome === 'published')
      ? 'published'
      : 'unchanged';
  return { project, repository, outcome, files, warnings, trustedPublishing: trusted };
}
