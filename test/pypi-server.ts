import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A STAND-IN for PyPI's legacy upload API (Warehouse's /legacy/), its simple index (PEP 503)
 * and its trusted-publishing endpoints, on 127.0.0.1. No PyPI-compatible server can be
 * installed on this machine (pypiserver and devpi are not in Debian, PyPI is not reachable), so
 * this one checks an upload's multipart form as Warehouse does: the token, :action and
 * protocol_version, the required fields, filetype/pyversion, the digests against the bytes, the
 * file name against name and version, and file-name reuse (the same bytes again are accepted,
 * other bytes are "File already exists"). `twine upload` is run against it too, so both clients
 * are held to the same checks.
 */

export interface StoredFile {
  filename: string;
  sha256: string;
  bytes: Buffer;
  fields: Record<string, string[]>;
  signature: string | null;
}

export type Fault = 'cut-before' | 'cut-after' | 503 | 'echo-auth';

export interface PypiStandIn {
  url: string;
  repository: string;
  files: Map<string, StoredFile>;
  uploads: { filename: string; status: number; why?: string }[];
  /** The next upload: the connection cut before or after it is stored, or a 503. */
  faults: Fault[];
  /** What trusted publishing mints, and the OIDC request token the CI stand-in takes. */
  oidc: { requestToken: string; jwt: string; minted: string };
  close(): Promise<void>;
}

const normalize = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startPypi(token: string): Promise<PypiStandIn> {
  const files = new Map<string, StoredFile>();
  const uploads: { filename: string; status: number; why?: string }[] = [];
  const faults: Fault[] = [];
  const oidc = { requestToken: 'actions-request-token', jwt: 'header.payload.signature', minted: 'pypi-minted-token' };
  const tokens = new Set([token, oidc.minted]);

  const send = (res: ServerResponse, status: number, text: string, type = 'text/plain'): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(text);
  };

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await body(req);
    const auth = req.headers.authorization ?? '';
    const [user, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    if (!auth.startsWith('Basic ') || user !== '__token__' || !tokens.has(secret ?? ''))
      return send(res, 403, 'Invalid or non-existent authentication information.');
    const form = await new Request('http://stand-in/', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: raw,
    }).formData();
    const fields: Record<string, string[]> = {};
    let content: File | null = null;
    let signature: string | null = null;
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') (fields[k] ??= []).push(v);
      else if (k === 'content') content = v;
      else if (k === 'gpg_signature') signature = await v.text();
    }
    const one = (k: string): string | undefined => fields[k]?.[0];
    const bad = (why: string): void => {
      uploads.push({ filename: content?.name ?? '?', status: 400, why });
      send(res, 400, why);
    };
    if (one(':action') !== 'file_upload') return bad('Invalid value for :action.');
    if (one('protocol_version') !== '1') return bad('Unknown protocol version.');
    for (const k of ['name', 'version', 'metadata_version', 'filetype'])
      if (!one(k)) return bad(`Invalid value for ${k}. Error: This field is required.`);
    if (one('filetype') !== 'sdist' && !one('pyversion'))
      return bad('Python version is required for binary distribution uploads.');
    if (content === null) return bad('Upload payload does not have a file.');
    if (!['sdist', 'bdist_wheel'].includes(one('filetype')!)) return bad('Invalid value for filetype.');
    if (one('filetype') === 'sdist' && one('pyversion') && one('pyversion') !== 'source')
      return bad("Invalid value for pyversion. Error: Use 'source' as Python version for an sdist.");
    if (!/^\d+(\.\d+)*((a|b|rc)\d+)?(\.dev\d+)?$/.test(one('version')!))
      return bad(`Invalid value for version. Error: Start and end with a letter or numeral.`);
    const bytes = Buffer.from(await content.arrayBuffer());
    const sha = createHash('sha256').update(bytes).digest('hex');
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (!one('sha256_digest') && !one('md5_digest')) return bad('Include at least one message digest.');
    if ((one('sha256_digest') && one('sha256_digest') !== sha) || (one('md5_digest') && one('md5_digest') !== md5))
      return bad('The digest supplied does not match a digest calculated from the uploaded file.');
    const prefix = `${normalize(one('name')!)}-${one('version')}`.replace(/-/g, '_');
    if (!content.name.replace(/-/g, '_').toLowerCase().startsWith(prefix.toLowerCase()))
      return bad(`Start filename for '${one('name')}' with '${prefix}'.`);
    const fault = faults.shift();
    if (fault === 'cut-before') return void req.socket.destroy();
    // A careless server that echoes the credentials back in its error.
    if (fault === 'echo-auth') return send(res, 400, `bad request; you sent authorization=${auth}`);
    if (fault === 503) return send(res, 503, 'Service Unavailable');
    const existing = files.get(content.name);
    if (existing !== undefined && existing.sha256 !== sha) {
      uploads.push({ filename: content.name, status: 400 });
      return send(
        res,
        400,
        `File already exists ('${content.name}', with blake2_256 hash '…'). See https://pypi.org/help/#file-name-reuse for more information.`,
      );
    }
    if (existing === undefined)
      files.set(content.name, { filename: content.name, sha256: sha, bytes, fields, signature });
    uploads.push({ filename: content.name, status: 200 });
    if (fault === 'cut-after') return void req.socket.destroy();
    send(res, 200, 'OK');
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const run = async (): Promise<void> => {
      if (req.method === 'POST' && url.pathname === '/legacy/') return upload(req, res);
      const simple = /^\/simple\/([^/]+)\/$/.exec(url.pathname);
      if (req.method === 'GET' && simple) {
        const mine = [...files.values()].filter((f) => normalize(f.fields.name![0]!) === simple[1]);
        if (mine.length === 0) return send(res, 404, 'Not Found');
        const links = mine.map(
          (f) => `<a href="../../packages/${f.filename}#sha256=${f.sha256}">${f.filename}</a><br/>`,
        );
        return send(res, 200, `<!DOCTYPE html><html><body>${links.join('\n')}</body></html>`, 'text/html');
      }
      if (req.method === 'GET' && url.pathname === '/_/oidc/audience')
        return send(res, 200, JSON.stringify({ audience: 'pypi' }), 'application/json');
      if (req.method === 'POST' && url.pathname === '/_/oidc/mint-token') {
        const { token: jwt } = JSON.parse((await body(req)).toString()) as { token: string };
        if (jwt !== oidc.jwt)
          return send(
            res,
            422,
            JSON.stringify({
              message: 'Token request failed',
              errors: [{ code: 'invalid-publisher', description: 'valid token, but no corresponding publisher' }],
            }),
            'application/json',
          );
        return send(res, 200, JSON.stringify({ success: true, token: oidc.minted }), 'application/json');
      }
      // GitHub Actions' ID token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), a stand-in too.
      if (req.method === 'GET' && url.pathname === '/actions/id-token') {
        if (req.headers.authorization !== `bearer ${oidc.requestToken}` || url.searchParams.get('audience') !== 'pypi')
          return send(res, 401, '{}', 'application/json');
        return send(res, 200, JSON.stringify({ value: oidc.jwt }), 'application/json');
      }
      send(res, 404, 'Not Found');
    };
    run().catch((error: Error) => send(res, 500, error.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    repository: `${url}/legacy/`,
    files,
    uploads,
    faults,
    oidc,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
