/**
 * Forge releases without I/O: which repository, the release's title and body, the requests each
 * forge's documented REST API takes (GitLab v4, Gitea/Forgejo v1; GitHub goes through
 * @octokit/rest, which these parameters feed), and which assets to upload, keep or refuse.
 */

export type ForgeKind = 'github' | 'gitlab' | 'gitea';

export interface ForgeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below the API root, already encoded. */
  path: string;
  json?: Record<string, unknown>;
}

export interface ReleaseText {
  tag: string;
  name: string;
  body: string;
  prerelease: boolean;
}

const enc = encodeURIComponent;

/**
 * owner/name from the setting, or from the repository's web address (https://github.com/owner/name,
 * https://gitlab.example.com/group/sub/name.git); null when neither says.
 */
export function forgeRepository(setting: string | null, repositoryUrl: string | undefined): string | null {
  if (setting !== null) return setting.replace(/^\/+|\/+$/g, '');
  if (repositoryUrl === undefined) return null;
  const path = new URL(repositoryUrl).pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return path.includes('/') ? path : null;
}

/** Why a repository cannot name a project on this forge, or null: GitHub and Gitea take owner/name, GitLab a path or an id. */
export function repositoryProblem(kind: ForgeKind, repository: string): string | null {
  const parts = repository.split('/');
  if (kind === 'gitlab') {
    if (/^\d+$/.test(repository)) return null;
    return parts.length >= 2 && parts.every((p) => p !== '')
      ? null
      : 'expected a project path (group/name) or a numeric id';
  }
  return parts.length === 2 && parts.every((p) => p !== '') ? null : 'expected owner/name';
}

export function releaseTitle(template: string, values: { project: string; version: string; tag: string }): string {
  return template.replace(/\{(project|version|tag)\}/g, (_m, k: 'project' | 'version' | 'tag') => values[k]);
}

/** The notes, and how to check what is attached (the same words on every forge). */
export function releaseBody(notes: string, signed: boolean): string {
  const check = [
    '',
    '---',
    '',
    'Verify a download: `sha256sum -c SHA256SUMS --ignore-missing`' +
      (signed
        ? ', and the checksums: `cosign verify-blob --key cosign.pub --signature SHA256SUMS.sig SHA256SUMS`.'
        : '.'),
    '',
  ];
  return `${notes.replace(/\s+$/, '')}\n${check.join('\n')}`;
}

/** GitHub: what octokit's repos.createRelease / updateRelease take. */
export function githubReleaseParams(repository: string, text: ReleaseText): Record<string, string | boolean> {
  const [owner, repo] = splitOwner(repository);
  return {
    owner,
    repo,
    tag_name: text.tag,
    name: text.name,
    body: text.body,
    prerelease: text.prerelease,
    draft: false,
    make_latest: text.prerelease ? 'false' : 'true',
  };
}

function splitOwner(repository: string): [string, string] {
  const i = repository.lastIndexOf('/');
  if (i <= 0) throw new Error(`expected owner/name, got "${repository}"`);
  return [repository.slice(0, i), repository.slice(i + 1)];
}

/** GitLab REST v4 (docs.gitlab.com/api/releases, /api/packages/generic_packages). */
export const gitlabApi = {
  getRelease: (project: string, tag: string): ForgeRequest => ({
    method: 'GET',
    path: `/projects/${enc(project)}/releases/${enc(tag)}`,
  }),
  createRelease: (project: string, text: ReleaseText): ForgeRequest => ({
    method: 'POST',
    path: `/projects/${enc(project)}/releases`,
    json: { tag_name: text.tag, name: text.name, description: text.body },
  }),
  updateRelease: (project: string, text: ReleaseText): ForgeRequest => ({
    method: 'PUT',
    path: `/projects/${enc(project)}/releases/${enc(text.tag)}`,
    json: { name: text.name, description: text.body },
  }),
  /** A file in the generic package registry, where release assets live (PUT, the body is the file). */
  packageFile: (project: string, pkg: string, version: string, file: string): ForgeRequest => ({
    method: 'PUT',
    path: `/projects/${enc(project)}/packages/generic/${enc(pkg)}/${enc(version)}/${enc(file)}?select=package_file`,
  }),
  packages: (project: string, pkg: string, version: string): ForgeRequest => ({
    method: 'GET',
    path: `/projects/${enc(project)}/packages?package_type=generic&package_name=${enc(pkg)}&package_version=${enc(version)}`,
  }),
  packageFiles: (project: string, id: number): ForgeRequest => ({
    method: 'GET',
    path: `/projects/${enc(project)}/packages/${id}/package_files?per_page=100`,
  }),
  links: (project: string, tag: string): ForgeRequest => ({
    method: 'GET',
    path: `/projects/${enc(project)}/releases/${enc(tag)}/assets/links?per_page=100`,
  }),
  addLink: (project: string, tag: string, link: { name: string; url: string }): ForgeRequest => ({
    method: 'POST',
    path: `/projects/${enc(project)}/releases/${enc(tag)}/assets/links`,
    json: { name: link.name, url: link.url, direct_asset_path: `/${link.name}`, link_type: 'package' },
  }),
};

/** Gitea / Forgejo REST v1 (the swagger at /api/swagger). */
export const giteaApi = {
  getRelease: (repository: string, tag: string): ForgeRequest => ({
    method: 'GET',
    path: `/repos/${repoPath(repository)}/releases/tags/${enc(tag)}`,
  }),
  release: (repository: string, id: number): ForgeRequest => ({
    method: 'GET',
    path: `/repos/${repoPath(repository)}/releases/${id}`,
  }),
  createRelease: (repository: string, text: ReleaseText): ForgeRequest => ({
    method: 'POST',
    path: `/repos/${repoPath(repository)}/releases`,
    json: { tag_name: text.tag, name: text.name, body: text.body, prerelease: text.prerelease, draft: false },
  }),
  updateRelease: (repository: string, id: number, text: ReleaseText): ForgeRequest => ({
    method: 'PATCH',
    path: `/repos/${repoPath(repository)}/releases/${id}`,
    json: { name: text.name, body: text.body, prerelease: text.prerelease, draft: false },
  }),
  /** Multipart, the file in the field "attachment". */
  uploadAsset: (repository: string, id: number, name: string): ForgeRequest => ({
    method: 'POST',
    path: `/repos/${repoPath(repository)}/releases/${id}/assets?name=${enc(name)}`,
  }),
  deleteAsset: (repository: string, id: number, asset: number): ForgeRequest => ({
    method: 'DELETE',
    path: `/repos/${repoPath(repository)}/releases/${id}/assets/${asset}`,
  }),
};

function repoPath(repository: string): string {
  const [owner, repo] = splitOwner(repository);
  return `${enc(owner)}/${enc(repo)}`;
}

export interface ExistingAsset {
  name: string;
  size: number;
  /** The sha256 the forge reports, or that was computed from a download; null: not known. */
  sha256: string | null;
  /** False for an upload that broke off (GitHub's state "open"/"starter"). */
  complete: boolean;
}

export interface AssetPlan {
  upload: string[];
  keep: string[];
  /** Broken-off uploads: deleted, then uploaded again. */
  replace: string[];
  conflicts: string[];
}

/** What to do with each wanted asset given what the release holds: the same bytes stay, others are refused. */
export function planAssets(
  existing: readonly ExistingAsset[],
  wanted: readonly { name: string; size: number; sha256: string }[],
): AssetPlan {
  const plan: AssetPlan = { upload: [], keep: [], replace: [], conflicts: [] };
  for (const w of wanted) {
    const e = existing.find((x) => x.name === w.name);
    if (e === undefined) plan.upload.push(w.name);
    else if (!e.complete) plan.replace.push(w.name);
    else if (e.size !== w.size || (e.sha256 !== null && e.sha256 !== w.sha256))
      plan.conflicts.push(
        `${w.name} (attached: ${e.size} bytes${e.sha256 ? `, sha256 ${e.sha256.slice(0, 12)}…` : ''}; this build: ${w.size} bytes, sha256 ${w.sha256.slice(0, 12)}…)`,
      );
    else plan.keep.push(w.name);
  }
  return plan;
}
