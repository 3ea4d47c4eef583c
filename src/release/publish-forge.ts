import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import {
  forgeRepository,
  githubReleaseParams,
  giteaApi,
  gitlabApi,
  planAssets,
  releaseBody,
  repositoryProblem,
  releaseTitle,
  type ExistingAsset,
  type ForgeKind,
  type ForgeRequest,
  type ReleaseText,
} from '../core/publish/forge.ts';
import { networkReason, redact } from './redact.ts';

/**
 * Forge releases: GitHub (through @octokit/rest; baseUrl for GitHub Enterprise), GitLab and
 * Gitea/Forgejo (their REST APIs, with the requests built in core/publish/forge.ts). The release
 * of the tag is created or brought up to date, and its assets reconciled: an asset already
 * attached with the same bytes stays, a broken-off upload is replaced, other bytes are refused.
 */

export interface ForgeAsset {
  name: string;
  data: Buffer;
  sha256: string;
  /**
   * Whether attached bytes count as this asset though they differ: a signature made again is
   * other bytes (ECDSA is randomized) and as good when it verifies the same SHA256SUMS.
   */
  same?: (attached: Uint8Array) => boolean;
}

type Attached = ExistingAsset & { ref: number; fetch: () => Promise<Uint8Array> };

export interface ForgePublishResult {
  forge: ForgeKind;
  repository: string;
  url: string | null;
  outcome: 'published' | 'unchanged' | 'planned';
  release: 'created' | 'updated' | 'unchanged' | 'would create' | 'would update';
  uploaded: string[];
  kept: string[];
}

export interface ForgeOptions {
  forge: ForgeKind;
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  project: string;
  version: string;
  tag: string;
  commit: string | null;
  prerelease: boolean;
  notes: string;
  signed: boolean;
  assets: readonly ForgeAsset[];
  dryRun: boolean;
  onProgress?: (line: string) => void;
}

const ROUNDS = 3;

class ForgeHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function settingsOf(options: ForgeOptions) {
  const settings = options.config.release[options.forge];
  const repository = forgeRepository(settings.repository, options.config.repository);
  if (repository === null)
    throw new SlipwayError(
      'USAGE',
      `release.publish has "${options.forge}", and neither release.${options.forge}.repository nor "repository" names the repository; set release.${options.forge}.repository to owner/name`,
    );
  const problem = repositoryProblem(options.forge, repository);
  if (problem !== null)
    throw new SlipwayError(
      'CONFIG_INVALID',
      `release.${options.forge}.repository is "${repository}": ${problem}; set release.${options.forge}.repository`,
    );
  const token = options.env[settings.tokenEnv];
  if (token === undefined || token === '')
    throw new SlipwayError(
      'TOKEN_MISSING',
      `creating the ${options.forge} release of ${repository} needs a token in $${settings.tokenEnv}; set it (a token that may write releases), or name another variable in release.${options.forge}.tokenEnv`,
    );
  return { settings, repository, token, baseUrl: settings.baseUrl.replace(/\/+$/, '') };
}

function explain(forge: ForgeKind, repository: string, tokenEnv: string, status: number, message: string): string {
  const why =
    status === 401
      ? `; the token in $${tokenEnv} was refused: renew it`
      : status === 403 || status === 404
        ? `; the token in $${tokenEnv} may lack the right to write releases of ${repository}, or the repository is not there`
        : status >= 500 || status === 0
          ? '; the forge is failing or unreachable: run it again (slipway release --resume, or the same publish-to) to complete it'
          : '';
  return `${forge} release of ${repository}: ${message}${why}`;
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Creates or updates the release and attaches the assets, idempotently. */
export async function publishForge(options: ForgeOptions): Promise<ForgePublishResult> {
  const { settings, repository, token, baseUrl } = settingsOf(options);
  const text: ReleaseText = {
    tag: options.tag,
    name: releaseTitle(settings.name, { project: options.project, version: options.version, tag: options.tag }),
    body: releaseBody(options.notes, options.signed),
    prerelease: options.prerelease,
  };
  const client =
    options.forge === 'github'
      ? github(baseUrl, repository, token, options.commit)
      : options.forge === 'gitlab'
        ? gitlab(baseUrl, repository, token, settings.tokenEnv, options)
        : gitea(baseUrl, repository, token, options.commit);
  try {
    return await reconcile(client, text, options, repository);
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    const status = error instanceof ForgeHttpError ? error.status : ((error as { status?: number }).status ?? 0);
    throw new SlipwayError(
      'FORGE_RELEASE',
      redact(explain(options.forge, repository, settings.tokenEnv, status, (error as Error).message), [token]),
    );
  }
}

interface ForgeClient {
  find(tag: string): Promise<{ id: number; url: string | null; same: (t: ReleaseText) => boolean } | null>;
  create(text: ReleaseText): Promise<{ id: number; url: string | null }>;
  update(id: number, text: ReleaseText): Promise<void>;
  assets(id: number): Promise<Attached[]>;
  remove(id: number, asset: number): Promise<void>;
  upload(id: number, asset: ForgeAsset): Promise<void>;
  /** After the assets are in place: what the forge needs besides (GitLab's release links). */
  finish?(id: number, names: readonly string[]): Promise<void>;
}

async function reconcile(
  client: ForgeClient,
  text: ReleaseText,
  options: ForgeOptions,
  repository: string,
): Promise<ForgePublishResult> {
  const found = await client.find(text.tag);
  const wanted = options.assets.map((a) => ({ name: a.name, size: a.data.length, sha256: a.sha256 }));
  const base = { forge: options.forge, repository };
  if (options.dryRun) {
    const plan =
      found === null ? null : planAssets(await settle(await client.assets(found.id), options.assets), wanted);
    if (plan !== null && plan.conflicts.length > 0) throw conflict(options, repository, plan.conflicts);
    return {
      ...base,
      url: found?.url ?? null,
      outcome: 'planned',
      release: found === null ? 'would create' : found.same(text) ? 'unchanged' : 'would update',
      uploaded: plan === null ? wanted.map((w) => w.name) : [...plan.upload, ...plan.replace],
      kept: plan?.keep ?? [],
    };
  }
  let id: number;
  let url: string | null;
  let release: ForgePublishResult['release'];
  if (found === null) {
    ({ id, url } = await client.create(text));
    release = 'created';
  } else {
    ({ id, url } = found);
    release = found.same(text) ? 'unchanged' : 'updated';
    if (release === 'updated') await client.update(id, text);
  }
  const uploaded: string[] = [];
  let kept: string[] = [];
  // Rounds: an upload cut off mid-way is seen as missing or broken-off in the next round's list.
  for (let round = 1; ; round++) {
    const attached = await client.assets(id);
    const plan = planAssets(await settle(attached, options.assets), wanted);
    if (plan.conflicts.length > 0) throw conflict(options, repository, plan.conflicts);
    kept = plan.keep.filter((k) => !uploaded.includes(k));
    const todo = [...plan.replace, ...plan.upload];
    if (todo.length === 0) break;
    if (round > ROUNDS)
      throw new SlipwayError(
        'FORGE_RELEASE',
        `${options.forge} release of ${repository}: ${todo.join(', ')} did not upload in ${ROUNDS} tries; slipway release --resume tries again`,
      );
    for (const name of todo) {
      const asset = options.assets.find((a) => a.name === name)!;
      const stale = attached.find((e) => e.name === name);
      try {
        if (stale !== undefined) await client.remove(id, stale.ref);
        options.onProgress?.(`${options.forge}: uploading ${name} (${asset.data.length} bytes)`);
        await client.upload(id, asset);
        if (!uploaded.includes(name)) uploaded.push(name);
      } catch (error) {
        const status = (error as { status?: number }).status ?? 0;
        // Refusals that a retry cannot change end here; a cut connection or a 5xx gets another round.
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw error;
        options.onProgress?.(`${options.forge}: ${name} did not upload (${(error as Error).message}); trying again`);
      }
    }
  }
  await client.finish?.(
    id,
    wanted.map((w) => w.name),
  );
  const changed = release !== 'unchanged' || uploaded.length > 0;
  return { ...base, url, outcome: changed ? 'published' : 'unchanged', release, uploaded, kept };
}

function conflict(options: ForgeOptions, repository: string, conflicts: string[]): SlipwayError {
  return new SlipwayError(
    'PUBLISH_CONFLICT',
    `the ${options.forge} release ${options.tag} of ${repository} has other files under these names already: ${conflicts.join('; ')}; a release's files never change: delete them on the forge if they are wrong, or release a new version`,
  );
}

/**
 * The attached assets as comparable as they can be made: one without a digest from its forge is
 * hashed from a download when its size matches, and one a `same` check accepts counts as equal.
 * Downloads happen on a re-run only, for the assets already there.
 */
async function settle(attached: readonly Attached[], wanted: readonly ForgeAsset[]): Promise<ExistingAsset[]> {
  return Promise.all(
    attached.map(async (a): Promise<ExistingAsset> => {
      const w = wanted.find((x) => x.name === a.name);
      if (w === undefined || !a.complete) return a;
      let known = a.sha256;
      if (known === null && a.size === w.data.length) known = sha256(await a.fetch());
      if (known !== w.sha256 && w.same !== undefined && w.same(await a.fetch()))
        return { ...a, size: w.data.length, sha256: w.sha256 };
      return { ...a, sha256: known };
    }),
  );
}

function github(baseUrl: string, repository: string, token: string, commit: string | null): ForgeClient {
  const octokit = new Octokit({
    auth: token,
    baseUrl,
    userAgent: 'slipway',
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    request: { timeout: 10 * 60_000 },
  });
  const [owner, repo] = [
    repository.slice(0, repository.lastIndexOf('/')),
    repository.slice(repository.lastIndexOf('/') + 1),
  ];
  const uploadUrls = new Map<number, string>();
  const sameAs = (r: { name: string | null; body?: string | null; prerelease: boolean }) => (t: ReleaseText) =>
    r.name === t.name && (r.body ?? '') === t.body && r.prerelease === t.prerelease;
  return {
    async find(tag) {
      try {
        const { data } = await octokit.rest.repos.getReleaseByTag({ owner, repo, tag });
        uploadUrls.set(data.id, data.upload_url);
        return { id: data.id, url: data.html_url, same: sameAs(data) };
      } catch (error) {
        if ((error as { status?: number }).status === 404) return null;
        throw error;
      }
    },
    async create(text) {
      const { data } = await octokit.rest.repos.createRelease({
        ...(githubReleaseParams(repository, text) as { owner: string; repo: string; tag_name: string }),
        ...(commit === null ? {} : { target_commitish: commit }),
      });
      uploadUrls.set(data.id, data.upload_url);
      return { id: data.id, url: data.html_url };
    },
    async update(id, text) {
      await octokit.rest.repos.updateRelease({
        ...(githubReleaseParams(repository, text) as { owner: string; repo: string }),
        release_id: id,
      });
    },
    async assets(id) {
      const list = await octokit.paginate(octokit.rest.repos.listReleaseAssets, {
        owner,
        repo,
        release_id: id,
        per_page: 100,
      });
      return list.map((a): Attached => {
        const digest = (a as { digest?: string | null }).digest;
        return {
          ref: a.id,
          name: a.name,
          size: a.size,
          sha256: typeof digest === 'string' && digest.startsWith('sha256:') ? digest.slice(7) : null,
          complete: a.state === 'uploaded',
          fetch: async () => {
            const r = await octokit.rest.repos.getReleaseAsset({
              owner,
              repo,
              asset_id: a.id,
              headers: { accept: 'application/octet-stream' },
            });
            return new Uint8Array(r.data as unknown as ArrayBuffer);
          },
        };
      });
    },
    async remove(_id, asset) {
      await octokit.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: asset });
    },
    async upload(id, asset) {
      const url = uploadUrls.get(id);
      if (url === undefined) throw new Error(`no upload address for release ${id}`);
      await octokit.request({
        method: 'POST',
        url,
        name: asset.name,
        data: asset.data,
        headers: { 'content-type': 'application/octet-stream', 'content-length': asset.data.length },
      });
    },
  };
}

/** fetch against a forge's REST API; a non-2xx answer is a ForgeHttpError carrying the forge's message. */
async function call(
  baseUrl: string,
  req: ForgeRequest,
  headers: Record<string, string>,
  body?: Buffer | FormData,
  binary = false,
): Promise<unknown> {
  let r: Response;
  try {
    r = await fetch(`${baseUrl}${req.path}`, {
      method: req.method,
      headers: {
        'user-agent': 'slipway',
        accept: 'application/json',
        ...headers,
        ...(req.json ? { 'content-type': 'application/json' } : {}),
      },
      body: req.json ? JSON.stringify(req.json) : body,
      signal: AbortSignal.timeout(10 * 60_000),
    });
  } catch (error) {
    throw new ForgeHttpError(0, `${req.method} ${req.path.split('?')[0]}: ${networkReason(error)}`);
  }
  if (binary && r.ok) return r.arrayBuffer();
  const text = await r.text();
  if (!r.ok) {
    let message = text.slice(0, 300);
    try {
      const j = JSON.parse(text) as { message?: unknown; error?: unknown };
      message = JSON.stringify(j.message ?? j.error ?? j);
    } catch {
      // not JSON: the text as it came
    }
    throw new ForgeHttpError(r.status, `${req.method} ${req.path.split('?')[0]}: ${r.status} ${message}`);
  }
  return text === '' ? null : (JSON.parse(text) as unknown);
}

async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (error) {
    if (error instanceof ForgeHttpError && error.status === 404) return null;
    throw error;
  }
}

function gitlab(baseUrl: string, project: string, token: string, tokenEnv: string, options: ForgeOptions): ForgeClient {
  const headers: Record<string, string> =
    tokenEnv === 'CI_JOB_TOKEN' ? { 'JOB-TOKEN': token } : { 'PRIVATE-TOKEN': token };
  // The generic package the files go to: the project's own name, the release's version.
  const pkg = options.project.replace(/[^A-Za-z0-9._-]+/g, '-');
  const version = options.version;
  const download = (file: string): ForgeRequest => ({
    method: 'GET',
    path: gitlabApi.packageFile(project, pkg, version, file).path.split('?')[0]!,
  });
  interface Release {
    name: string;
    description: string | null;
    _links?: { self?: string };
  }
  let current: Release | null = null;
  return {
    async find(tag) {
      current = (await orNull(call(baseUrl, gitlabApi.getRelease(project, tag), headers))) as Release | null;
      if (current === null) return null;
      const r = current;
      return { id: 0, url: r._links?.self ?? null, same: (t) => r.name === t.name && (r.description ?? '') === t.body };
    },
    async create(text) {
      const req = gitlabApi.createRelease(project, text);
      if (options.commit !== null) req.json = { ...req.json, ref: options.commit };
      const r = (await call(baseUrl, req, headers)) as Release;
      return { id: 0, url: r._links?.self ?? null };
    },
    async update(_id, text) {
      await call(baseUrl, gitlabApi.updateRelease(project, text), headers);
    },
    async assets() {
      const packages = (await call(baseUrl, gitlabApi.packages(project, pkg, version), headers)) as {
        id: number;
        name: string;
        version: string;
      }[];
      const found = packages.find((p) => p.name === pkg && p.version === version);
      if (found === undefined) return [];
      const files = (await call(baseUrl, gitlabApi.packageFiles(project, found.id), headers)) as {
        id: number;
        file_name: string;
        size: number;
        file_sha256?: string | null;
      }[];
      // GitLab keeps every upload of a name, and serves the newest: that one is compared.
      const newest = new Map(files.map((f) => [f.file_name, f]));
      return [...newest.values()].map((f): Attached => ({
        ref: f.id,
        name: f.file_name,
        size: f.size,
        sha256: f.file_sha256 ?? null,
        complete: true,
        fetch: async () =>
          new Uint8Array((await call(baseUrl, download(f.file_name), headers, undefined, true)) as ArrayBuffer),
      }));
    },
    /** Every file is a link of the release (a run stopped between upload and link is linked now). */
    async finish(_id, names) {
      const links = (await call(baseUrl, gitlabApi.links(project, options.tag), headers)) as { name: string }[];
      const linked = new Set(links.map((l) => l.name));
      for (const name of names)
        if (!linked.has(name))
          await call(
            baseUrl,
            gitlabApi.addLink(project, options.tag, { name, url: `${baseUrl}${download(name).path}` }),
            headers,
          );
    },
    async remove() {
      // GitLab keeps every upload of a generic package file; a broken one is superseded by the next.
    },
    async upload(_id, asset) {
      const req = gitlabApi.packageFile(project, pkg, version, asset.name);
      await call(baseUrl, req, { ...headers, 'content-type': 'application/octet-stream' }, asset.data);
    },
  };
}

function gitea(baseUrl: string, repository: string, token: string, commit: string | null): ForgeClient {
  const headers = { authorization: `token ${token}` };
  interface Release {
    id: number;
    name: string;
    body: string;
    prerelease: boolean;
    html_url?: string;
    assets?: { id: number; name: string; size: number; browser_download_url: string }[];
  }
  const releases = new Map<number, Release>();
  return {
    async find(tag) {
      const r = (await orNull(call(baseUrl, giteaApi.getRelease(repository, tag), headers))) as Release | null;
      if (r === null) return null;
      releases.set(r.id, r);
      return {
        id: r.id,
        url: r.html_url ?? null,
        same: (t) => r.name === t.name && r.body === t.body && r.prerelease === t.prerelease,
      };
    },
    async create(text) {
      const req = giteaApi.createRelease(repository, text);
      if (commit !== null) req.json = { ...req.json, target_commitish: commit };
      const r = (await call(baseUrl, req, headers)) as Release;
      releases.set(r.id, r);
      return { id: r.id, url: r.html_url ?? null };
    },
    async update(id, text) {
      const r = (await call(baseUrl, giteaApi.updateRelease(repository, id, text), headers)) as Release;
      releases.set(id, r);
    },
    async assets(id) {
      const r = (await call(baseUrl, giteaApi.release(repository, id), headers)) as Release;
      return (r.assets ?? []).map((a): Attached => ({
        ref: a.id,
        name: a.name,
        size: a.size,
        sha256: null,
        complete: true,
        fetch: async () => {
          const d = await fetch(a.browser_download_url, { headers, signal: AbortSignal.timeout(10 * 60_000) });
          if (!d.ok) throw new ForgeHttpError(d.status, `GET ${a.name}: ${d.status}`);
          return new Uint8Array(await d.arrayBuffer());
        },
      }));
    },
    async remove(id, asset) {
      await call(baseUrl, giteaApi.deleteAsset(repository, id, asset), headers);
    },
    async upload(id, asset) {
      const form = new FormData();
      form.append('attachment', new Blob([new Uint8Array(asset.data)]), asset.name);
      await call(baseUrl, giteaApi.uploadAsset(repository, id, asset.name), headers, form);
    },
  };
}
