import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A STAND-IN for the release APIs of GitHub (REST v3, uploads host included), GitLab (v4,
 * releases, generic packages and release links) and Gitea/Forgejo (v1) on 127.0.0.1: no forge
 * server can run on this machine. It answers with the documented shapes and status codes
 * (404 for a missing release, 422/409/400 for duplicates, 401 for a bad token), keeps what
 * it was given, and logs every request, so the publishers' behaviour (create or update,
 * reconcile assets, retry) is tested end to end against the documented contract.
 */

export interface StoredAsset {
  id: number;
  name: string;
  bytes: Buffer;
  sha256: string;
  /** GitHub's state: "open" is an upload that broke off. */
  state: 'uploaded' | 'open';
}

export interface StoredRelease {
  id: number;
  tag: string;
  name: string;
  body: string;
  prerelease: boolean;
  commitish: string | null;
  assets: StoredAsset[];
  links: { id: number; name: string; url: string }[];
}

export type UploadFault = 'cut' | 'cut-open' | 500;

/** An edit request (GitHub's and Gitea's PATCH): the fields it names. */
function edit(r: StoredRelease, b: Record<string, string | boolean | undefined>): void {
  if (typeof b.name === 'string') r.name = b.name;
  if (typeof b.body === 'string') r.body = b.body;
  if (typeof b.prerelease === 'boolean') r.prerelease = b.prerelease;
}

/** A release as the stand-in keeps it, from a create request's body (each forge names the fields its way). */
function stored(
  id: number,
  b: Record<string, string | boolean | undefined>,
  f: { body: string | boolean | undefined; prerelease: boolean; commitish: string | boolean | undefined },
): StoredRelease {
  return {
    id,
    tag: String(b.tag_name),
    name: String(b.name ?? ''),
    body: String(f.body ?? ''),
    prerelease: f.prerelease,
    commitish: typeof f.commitish === 'string' ? f.commitish : null,
    assets: [],
    links: [],
  };
}

export interface ForgeStandIn {
  url: string;
  token: string;
  releases: Map<string, StoredRelease>;
  /** GitLab's generic packages: "<pkg>/<version>" → files. */
  packages: Map<string, StoredAsset[]>;
  log: { method: string; path: string; authorized: boolean }[];
  uploadFaults: UploadFault[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function startForge(token: string): Promise<ForgeStandIn> {
  const releases = new Map<string, StoredRelease>();
  const packages = new Map<string, StoredAsset[]>();
  const log: ForgeStandIn['log'] = [];
  const uploadFaults: UploadFault[] = [];
  let ids = 100;
  let base = '';

  const json = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(status === 204 ? undefined : JSON.stringify(value));
  };
  const byId = (id: number) => [...releases.values()].find((r) => r.id === id);

  const githubRelease = (r: StoredRelease, owner: string, repo: string) => ({
    id: r.id,
    tag_name: r.tag,
    name: r.name,
    body: r.body,
    prerelease: r.prerelease,
    draft: false,
    target_commitish: r.commitish,
    html_url: `${base}/${owner}/${repo}/releases/tag/${r.tag}`,
    upload_url: `${base}/uploads/repos/${owner}/${repo}/releases/${r.id}/assets{?name,label}`,
    assets: r.assets.map(githubAsset),
  });
  const githubAsset = (a: StoredAsset) => ({
    id: a.id,
    name: a.name,
    size: a.bytes.length,
    state: a.state,
    digest: a.state === 'uploaded' ? `sha256:${a.sha256}` : null,
    browser_download_url: `${base}/download/${a.id}`,
  });

  /** The upload fault of this request: a connection cut mid-way (leaving GitHub's "open" asset), or a 500. */
  function fault(req: IncomingMessage, res: ServerResponse, onOpen: () => void): boolean {
    const f = uploadFaults.shift();
    if (f === undefined) return false;
    if (f === 500) json(res, 500, { message: 'Server Error' });
    else {
      if (f === 'cut-open') onOpen();
      req.socket.destroy();
    }
    return true;
  }

  async function github(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/github\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/.exec(path)) && req.method === 'GET') {
      const r = releases.get(`github:${m[1]}/${m[2]}:${decodeURIComponent(m[3]!)}`);
      return r ? json(res, 200, githubRelease(r, m[1]!, m[2]!)) : json(res, 404, { message: 'Not Found' });
    }
    if ((m = /^\/api\/github\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path)) && req.method === 'POST') {
      const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
      const key = `github:${m[1]}/${m[2]}:${String(b.tag_name)}`;
      if (releases.has(key))
        return json(res, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
        });
      const r = stored(ids++, b, { body: b.body, prerelease: b.prerelease === true, commitish: b.target_commitish });
      releases.set(key, r);
      return json(res, 201, githubRelease(r, m[1]!, m[2]!));
    }
    if ((m = /^\/api\/github\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path)) && req.method === 'PATCH') {
      const r = byId(Number(m[3]));
      if (!r) return json(res, 404, { message: 'Not Found' });
      const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
      edit(r, b);
      return json(res, 200, githubRelease(r, m[1]!, m[2]!));
    }
    if ((m = /^\/api\/github\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path)) && req.method === 'GET') {
      const r = byId(Number(m[3]));
      return r ? json(res, 200, r.assets.map(githubAsset)) : json(res, 404, { message: 'Not Found' });
    }
    if ((m = /^\/api\/github\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(path))) {
      const r = [...releases.values()].find((x) => x.assets.some((a) => a.id === Number(m![3])));
      const a = r?.assets.find((x) => x.id === Number(m![3]));
      if (!r || !a) return json(res, 404, { message: 'Not Found' });
      if (req.method === 'DELETE') {
        r.assets = r.assets.filter((x) => x !== a);
        return json(res, 204, null);
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return void res.end(a.bytes);
    }
    if ((m = /^\/uploads\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path)) && req.method === 'POST') {
      const r = byId(Number(m[3]));
      if (!r) return json(res, 404, { message: 'Not Found' });
      const name = url.searchParams.get('name') ?? '';
      if (r.assets.some((a) => a.name === name))
        return json(res, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
        });
      if (fault(req, res, () => r.assets.push({ id: ids++, name, bytes: Buffer.alloc(0), sha256: '', state: 'open' })))
        return;
      const bytes = await readBody(req);
      const a: StoredAsset = { id: ids++, name, bytes, sha256: sha(bytes), state: 'uploaded' };
      r.assets.push(a);
      return json(res, 201, githubAsset(a));
    }
    json(res, 404, { message: 'Not Found' });
  }

  async function gitlab(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    let m: RegExpExecArray | null;
    const project = (p: string): string => decodeURIComponent(p);
    if ((m = /^\/api\/gitlab\/projects\/([^/]+)\/releases$/.exec(path)) && req.method === 'POST') {
      const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
      const key = `gitlab:${project(m[1]!)}:${String(b.tag_name)}`;
      if (releases.has(key)) return json(res, 409, { message: 'Release already exists' });
      const r = stored(ids++, b, { body: b.description, prerelease: false, commitish: b.ref });
      releases.set(key, r);
      return json(res, 201, gitlabRelease(r, project(m[1]!)));
    }
    if ((m = /^\/api\/gitlab\/projects\/([^/]+)\/releases\/([^/]+)$/.exec(path))) {
      const r = releases.get(`gitlab:${project(m[1]!)}:${decodeURIComponent(m[2]!)}`);
      if (!r) return json(res, 404, { message: '404 Not Found' });
      if (req.method === 'PUT') {
        const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
        if (typeof b.name === 'string') r.name = b.name;
        if (typeof b.description === 'string') r.body = b.description;
      }
      return json(res, 200, gitlabRelease(r, project(m[1]!)));
    }
    if ((m = /^\/api\/gitlab\/projects\/([^/]+)\/releases\/([^/]+)\/assets\/links$/.exec(path))) {
      const r = releases.get(`gitlab:${project(m[1]!)}:${decodeURIComponent(m[2]!)}`);
      if (!r) return json(res, 404, { message: '404 Not Found' });
      if (req.method === 'GET') return json(res, 200, r.links);
      const b = JSON.parse((await readBody(req)).toString()) as { name: string; url: string };
      if (r.links.some((l) => l.name === b.name))
        return json(res, 400, { message: { name: ['has already been taken'] } });
      const link = { id: ids++, name: b.name, url: b.url };
      r.links.push(link);
      return json(res, 201, link);
    }
    if (
      (m = /^\/api\/gitlab\/projects\/([^/]+)\/packages\/generic\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path)) &&
      req.method === 'PUT'
    ) {
      const key = `${project(m[1]!)}/${m[2]}/${m[3]}`;
      const files = packages.get(key) ?? [];
      packages.set(key, files);
      if (fault(req, res, () => undefined)) return;
      const bytes = await readBody(req);
      // GitLab keeps every upload of a file name; the newest is what a download gets.
      const a: StoredAsset = {
        id: ids++,
        name: decodeURIComponent(m[4]!),
        bytes,
        sha256: sha(bytes),
        state: 'uploaded',
      };
      files.push(a);
      return json(res, 201, { id: a.id, file_name: a.name, size: bytes.length, file_sha256: a.sha256 });
    }
    if ((m = /^\/api\/gitlab\/projects\/([^/]+)\/packages$/.exec(path)) && req.method === 'GET') {
      const key = `${project(m[1]!)}/${url.searchParams.get('package_name')}/${url.searchParams.get('package_version')}`;
      const files = packages.get(key);
      return json(
        res,
        200,
        files === undefined
          ? []
          : [
              {
                id: [...packages.keys()].indexOf(key) + 1,
                name: url.searchParams.get('package_name'),
                version: url.searchParams.get('package_version'),
                package_type: 'generic',
              },
            ],
      );
    }
    if ((m = /^\/api\/gitlab\/projects\/([^/]+)\/packages\/(\d+)\/package_files$/.exec(path)) && req.method === 'GET') {
      const files = [...packages.values()][Number(m[2]) - 1] ?? [];
      return json(
        res,
        200,
        files.map((f) => ({ id: f.id, file_name: f.name, size: f.bytes.length, file_sha256: f.sha256 })),
      );
    }
    json(res, 404, { message: '404 Not Found' });
  }
  const gitlabRelease = (r: StoredRelease, project: string) => ({
    tag_name: r.tag,
    name: r.name,
    description: r.body,
    _links: { self: `${base}/${project}/-/releases/${r.tag}` },
  });

  async function gitea(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    let m: RegExpExecArray | null;
    const out = (r: StoredRelease, owner: string, repo: string) => ({
      id: r.id,
      tag_name: r.tag,
      name: r.name,
      body: r.body,
      prerelease: r.prerelease,
      draft: false,
      html_url: `${base}/${owner}/${repo}/releases/tag/${r.tag}`,
      assets: r.assets.map((a) => ({
        id: a.id,
        name: a.name,
        size: a.bytes.length,
        browser_download_url: `${base}/download/${a.id}`,
      })),
    });
    if ((m = /^\/api\/gitea\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/(.+)$/.exec(path)) && req.method === 'GET') {
      const r = releases.get(`gitea:${m[1]}/${m[2]}:${decodeURIComponent(m[3]!)}`);
      return r ? json(res, 200, out(r, m[1]!, m[2]!)) : json(res, 404, { message: "The target couldn't be found." });
    }
    if ((m = /^\/api\/gitea\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path)) && req.method === 'POST') {
      const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
      const key = `gitea:${m[1]}/${m[2]}:${String(b.tag_name)}`;
      if (releases.has(key)) return json(res, 409, { message: 'Release is has no Tag' });
      const r = stored(ids++, b, { body: b.body, prerelease: b.prerelease === true, commitish: b.target_commitish });
      releases.set(key, r);
      return json(res, 201, out(r, m[1]!, m[2]!));
    }
    if ((m = /^\/api\/gitea\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path))) {
      const r = byId(Number(m[3]));
      if (!r) return json(res, 404, { message: 'Not Found' });
      if (req.method === 'PATCH') {
        const b = JSON.parse((await readBody(req)).toString()) as Record<string, string | boolean | undefined>;
        edit(r, b);
      }
      return json(res, 200, out(r, m[1]!, m[2]!));
    }
    if ((m = /^\/api\/gitea\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path)) && req.method === 'POST') {
      const r = byId(Number(m[3]));
      if (!r) return json(res, 404, { message: 'Not Found' });
      if (fault(req, res, () => undefined)) return;
      const form = await new Request('http://stand-in/', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: await readBody(req),
      }).formData();
      const file = form.get('attachment');
      if (!(file instanceof File)) return json(res, 400, { message: 'attachment is required' });
      const bytes = Buffer.from(await file.arrayBuffer());
      const a: StoredAsset = {
        id: ids++,
        name: url.searchParams.get('name') ?? file.name,
        bytes,
        sha256: sha(bytes),
        state: 'uploaded',
      };
      r.assets.push(a);
      return json(res, 201, {
        id: a.id,
        name: a.name,
        size: bytes.length,
        browser_download_url: `${base}/download/${a.id}`,
      });
    }
    if (
      (m = /^\/api\/gitea\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets\/(\d+)$/.exec(path)) &&
      req.method === 'DELETE'
    ) {
      const r = byId(Number(m[3]));
      if (!r) return json(res, 404, { message: 'Not Found' });
      r.assets = r.assets.filter((a) => a.id !== Number(m![4]));
      return json(res, 204, null);
    }
    json(res, 404, { message: 'Not Found' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    // The raw path: GitLab's project ids are URL-encoded (group%2Fname) and must stay one segment.
    const path = (req.url ?? '/').split('?')[0]!;
    const auth = req.headers.authorization ?? req.headers['private-token'] ?? '';
    const authorized =
      auth === `token ${token}` || auth === `bearer ${token}` || auth === `Bearer ${token}` || auth === token;
    log.push({ method: req.method ?? '', path: req.url ?? '', authorized });
    const download = /^\/download\/(\d+)$/.exec(path);
    const run = async (): Promise<void> => {
      if (!authorized && !download)
        return json(
          res,
          401,
          path.startsWith('/api/gitlab') ? { message: '401 Unauthorized' } : { message: 'Bad credentials' },
        );
      if (download) {
        const a = [...releases.values()].flatMap((r) => r.assets).find((x) => x.id === Number(download[1]));
        if (!a) return json(res, 404, { message: 'Not Found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(a.bytes);
      }
      if (path.startsWith('/api/github') || path.startsWith('/uploads/')) return github(req, res, path, url);
      if (path.startsWith('/api/gitlab')) return gitlab(req, res, path, url);
      if (path.startsWith('/api/gitea')) return gitea(req, res, path, url);
      json(res, 404, { message: 'Not Found' });
    };
    run().catch((error: Error) => json(res, 500, { message: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    token,
    releases,
    packages,
    log,
    uploadFaults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
