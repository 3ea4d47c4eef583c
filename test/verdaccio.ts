import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from '../src/io/free-port.ts';
import { tempDir } from './helpers.ts';

export interface Verdaccio {
  url: string;
  /** A token of a user created on it, as `npm login` would get. */
  token: string;
  stop(): Promise<void>;
}

/**
 * A real Verdaccio npm registry (from npm, a devDependency) on 127.0.0.1 with its own storage in a
 * temp folder and no uplinks: what the npm publisher's tests publish to and install from.
 */
export async function startVerdaccio(): Promise<Verdaccio> {
  const dir = await tempDir('slipway-verdaccio-');
  const port = await freePort();
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 10',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'log: { type: stdout, format: pretty, level: error }',
      '',
    ].join('\n'),
  );
  // The package exports no bin subpath: its folder is found from its package.json.
  const pkg = createRequire(import.meta.url).resolve('verdaccio/package.json');
  const bin = join(dirname(pkg), 'bin', 'verdaccio');
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}/`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  };
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited: ${output}`);
      const ok = await fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error(`verdaccio did not answer in 30 s: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A token is taken as npm login takes one, then checked with whoami (a token issued while
    // Verdaccio is still settling its secret is refused later): logged in again until it holds.
    let token: string | null = null;
    for (let i = 0; token === null; i++) {
      const r = await fetch(`${url}-/user/org.couchdb.user:tester`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'tester', password: 'a-long-test-password' }),
      });
      const body = (await r.json()) as { token?: string };
      if (body.token) {
        const who = await fetch(`${url}-/whoami`, { headers: { authorization: `Bearer ${body.token}` } });
        if (who.ok && ((await who.json()) as { username?: string }).username === 'tester') token = body.token;
      }
      if (token === null && i > 50) throw new Error(`verdaccio gave no working token: ${JSON.stringify(body)}`);
      if (token === null) await new Promise((r) => setTimeout(r, 200));
    }
    return { url, token, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
