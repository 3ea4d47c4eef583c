import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, scratchRepo, tempDir } from './helpers.ts';
import { startVerdaccio, type Verdaccio } from './verdaccio.ts';

function npm(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? 1, out }));
  });
}

/** The npm publisher against a real Verdaccio registry on 127.0.0.1. */
describe('publishing to npm (a real Verdaccio registry)', () => {
  let registry: Verdaccio;
  before(async () => {
    registry = await startVerdaccio();
  });
  after(async () => {
    await registry.stop();
  });

  async function pkgRepo(name: string, built = true) {
    const repo = await scratchRepo();
    await repo.commit('feat: first', {
      'package.json': `${JSON.stringify(
        { name, version: '0.1.0', bin: { [name.replace(/^@.*\//, '')]: 'dist/cli.js' }, files: ['dist'] },
        null,
        2,
      )}\n`,
      '.gitignore': '.slipway/\n',
      'slipway.json': `${JSON.stringify(
        {
          channels: ['beta', 'stable'],
          feed: { enforcePromotion: false },
          release: {
            publish: ['npm'],
            npm: { registry: registry.url },
          },
        },
        null,
        2,
      )}\n`,
      ...(built ? { 'dist/cli.js': '#!/usr/bin/env node\nconsole.log("hello from the package");\n' } : {}),
    });
    await repo.tag('v0.1.0');
    return repo;
  }

  it("publishes on the channel's dist-tag, is a no-op the second time, refuses other content, and installs", async () => {
    const repo = await pkgRepo('slipway-fixture-cli');
    const env = { NPM_TOKEN: registry.token };
    await repo.commit('feat: greet');
    const beta = await runCli(['release', '--channel', 'beta', '--json'], { cwd: repo.dir, env });
    assert.equal(beta.status, 0, beta.stderr);
    assert.ok(
      !beta.stdout.includes(registry.token) && !beta.stderr.includes(registry.token),
      'the token is never printed',
    );
    const journal = await readFile(join(repo.dir, '.slipway/release.json'), 'utf8');
    assert.ok(!journal.includes(registry.token), 'nor journaled');
    const stable = await runCli(['release', '--json'], { cwd: repo.dir, env });
    assert.equal(stable.status, 0, stable.stderr);
    const out = JSON.parse(stable.stdout) as { steps: { publish: { detail: string } } };
    assert.match(out.steps.publish.detail, /npm: published slipway-fixture-cli@0\.2\.0 \(dist-tag latest\)/);

    const view = await npm(
      ['view', 'slipway-fixture-cli', 'dist-tags', '--json', '--registry', registry.url],
      repo.dir,
    );
    assert.deepEqual(JSON.parse(view.out), { beta: '0.2.0-beta.1', latest: '0.2.0' });

    // Again, the same content: a no-op (the resume of a release that stopped after publishing).
    const { publishNpm } = await import('../src/release/publish-npm.ts');
    const { loadConfig } = await import('../src/project/config-file.ts');
    const { config } = await loadConfig(repo.dir);
    const again = await publishNpm({
      dir: repo.dir,
      version: '0.2.0',
      channel: 'stable',
      config,
      env: { ...process.env, ...env },
      dryRun: false,
    });
    assert.equal(again.outcome, 'unchanged');
    // Other content under the same version: refused.
    await repo.write('dist/cli.js', '#!/usr/bin/env node\nconsole.log("changed");\n');
    await assert.rejects(
      () =>
        publishNpm({
          dir: repo.dir,
          version: '0.2.0',
          channel: 'stable',
          config,
          env: { ...process.env, ...env },
          dryRun: false,
        }),
      /is on the registry already with other content/,
    );

    // Installed from the registry, it runs.
    const consumer = await tempDir();
    await npm(['init', '-y'], consumer);
    const install = await npm(
      ['install', '--no-audit', '--no-fund', '--registry', registry.url, 'slipway-fixture-cli@latest'],
      consumer,
    );
    assert.equal(install.status, 0, install.out);
    const ran = await new Promise<string>((resolve) => {
      const c = spawn(join(consumer, 'node_modules/.bin/slipway-fixture-cli'), [], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let s = '';
      c.stdout.on('data', (d: Buffer) => (s += d.toString()));
      c.on('close', () => resolve(s));
    });
    assert.equal(ran, 'hello from the package\n');
  });

  it('refuses a package without its built bin, and a missing token, before anything is written', async () => {
    const repo = await pkgRepo('slipway-fixture-unbuilt', false);
    await repo.commit('feat: x');
    const none = await runCli(['release'], { cwd: repo.dir, env: {} });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /needs a token in \$NPM_TOKEN/);
    assert.deepEqual((await repo.git('tag', '--list')).split('\n'), ['v0.1.0']);
    const r = await runCli(['release'], { cwd: repo.dir, env: { NPM_TOKEN: registry.token } });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /slipway-fixture-unbuilt@0\.2\.0 would ship without dist\/cli\.js \(named by "bin"\/"main", but not in the package/,
    );
    const wrong = await runCli(['release', '--resume'], { cwd: repo.dir, env: { NPM_TOKEN: 'not-a-valid-token' } });
    assert.equal(wrong.status, 1);
    assert.ok(!wrong.stderr.includes('not-a-valid-token'));
  });
});
