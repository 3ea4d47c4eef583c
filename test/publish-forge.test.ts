import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, scratchRepo, tempDir } from './helpers.ts';
import { startForge, type ForgeStandIn } from './forge-server.ts';

/**
 * Forge releases (GitHub through @octokit/rest, GitLab, Gitea) against a STAND-IN of their REST
 * APIs on 127.0.0.1 (test/forge-server.ts: no forge can run here), and announcements against a
 * local webhook receiver.
 */

const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };
const TOKEN = 'ghp_standInToken0123456789abcdefABCDEF';

const BUILD_SH = `#!/bin/sh
set -e
rm -rf dist && mkdir -p dist
tar -czf "dist/panel-$1-linux-amd64.tar.gz" -C src .
`;

describe('forge releases (stand-ins of the GitHub, GitLab and Gitea APIs)', () => {
  let forge: ForgeStandIn;
  before(async () => {
    forge = await startForge(TOKEN);
  });
  after(() => forge.close());

  async function project(release: Record<string, unknown>, withFeed = false) {
    const base = await tempDir();
    const repo = await scratchRepo();
    await repo.commit('feat: first', {
      'package.json': '{ "name": "panel", "version": "0.1.0", "private": true }\n',
      'src/panel.txt': 'the panel\n',
      'build.sh': BUILD_SH,
      '.gitignore': 'dist/\n.slipway/\n',
      'slipway.json': `${JSON.stringify(
        {
          name: 'aiPanel',
          repository: 'https://github.com/acme/panel',
          channels: ['beta', 'stable'],
          feed: { enforcePromotion: false },
          release: {
            build: [{ name: 'archive', run: ['sh', 'build.sh', '{version}'], artifacts: ['dist/*.tar.gz'] }],
            ...(withFeed ? { feed: { dir: join(base, 'feed'), keys: join(base, 'keys') } } : {}),
            ...release,
          },
        },
        null,
        2,
      )}\n`,
    });
    await repo.tag('v0.1.0');
    await repo.commit('feat: dashboards (#12)');
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      runCli(args, { cwd: repo.dir, env: { ...env, ...extra } });
    if (withFeed) {
      assert.equal((await cli(['keys', 'init', '--keys', join(base, 'keys')])).status, 0);
      assert.equal((await cli(['feed', 'init', '--keys', join(base, 'keys'), '--feed', join(base, 'feed')])).status, 0);
    }
    return { repo, cli, base };
  }

  const github = (repository = 'acme/panel') => ({ baseUrl: `${forge.url}/api/github`, repository });

  it('GitHub: a prerelease for the beta, the release for stable, assets with SHA256SUMS and a cosign signature; again is a no-op', async () => {
    const { repo, cli, base } = await project({ publish: ['feed', 'github'], github: github() }, true);
    const beta = await cli(['release', '--channel', 'beta', '--json'], { GITHUB_TOKEN: TOKEN });
    assert.equal(beta.status, 0, beta.stderr);
    assert.ok(!beta.stdout.includes(TOKEN) && !beta.stderr.includes(TOKEN), 'the token is never printed');
    const pre = forge.releases.get('github:acme/panel:v0.2.0-beta.1')!;
    assert.equal(pre.prerelease, true);
    assert.equal(pre.name, 'aiPanel v0.2.0-beta.1');
    assert.equal(
      pre.commitish,
      (await repo.git('rev-parse', 'v0.2.0-beta.1^{commit}')).trim(),
      'pinned to the tagged commit',
    );

    const stable = await cli(['release', '--json'], { GITHUB_TOKEN: TOKEN });
    assert.equal(stable.status, 0, stable.stderr);
    const rel = forge.releases.get('github:acme/panel:v0.2.0')!;
    assert.equal(rel.prerelease, false);
    assert.match(rel.body, /What's New/);
    assert.match(rel.body, /dashboards \(\[#12\]\(https:\/\/github\.com\/acme\/panel\/issues\/12\)\)/, 'issue links');
    assert.match(rel.body, /cosign verify-blob --key cosign\.pub/);
    assert.deepEqual(rel.assets.map((a) => a.name).sort(), [
      'SHA256SUMS',
      'SHA256SUMS.sig',
      'cosign.pub',
      'panel-0.2.0-linux-amd64.tar.gz',
    ]);
    // What a user downloads verifies: sha256sum -c and the cosign-compatible signature.
    const dl = await tempDir();
    for (const a of rel.assets) await writeFile(join(dl, a.name), a.bytes);
    assert.equal(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dl }).status, 0);
    await writeFile(
      join(dl, 'sig.der'),
      Buffer.from(rel.assets.find((a) => a.name === 'SHA256SUMS.sig')!.bytes.toString(), 'base64'),
    );
    const verify = spawnSync(
      'openssl',
      ['dgst', '-sha256', '-verify', 'cosign.pub', '-signature', 'sig.der', 'SHA256SUMS'],
      {
        cwd: dl,
        encoding: 'utf8',
      },
    );
    assert.equal(verify.status, 0, verify.stderr);
    const out = JSON.parse(stable.stdout) as { steps: { publish: { detail: string } } };
    assert.match(
      out.steps.publish.detail,
      /github: release v0\.2\.0 created on acme\/panel, uploaded panel-0\.2\.0-linux-amd64\.tar\.gz, SHA256SUMS, SHA256SUMS\.sig, cosign\.pub/,
    );

    // Again: only reads.
    const mark = forge.log.length;
    const again = await cli(['publish-to', 'github', '0.2.0', '--json'], { GITHUB_TOKEN: TOKEN });
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { outcome: string }).outcome, 'unchanged');
    assert.deepEqual(
      forge.log.slice(mark).filter((l) => l.method !== 'GET'),
      [],
      'no write to the forge',
    );
    // A changed title updates the release, and leaves the assets.
    const config = JSON.parse(await readFile(join(repo.dir, 'slipway.json'), 'utf8')) as {
      release: { github: { name?: string } };
    };
    config.release.github.name = '{project} {version}';
    await writeFile(join(repo.dir, 'slipway.json'), JSON.stringify(config));
    const renamed = await cli(['publish-to', 'github', '0.2.0', '--json'], { GITHUB_TOKEN: TOKEN });
    assert.equal(renamed.status, 0, renamed.stderr);
    assert.equal(rel.name, 'aiPanel 0.2.0');
    assert.equal(rel.assets.length, 4);
    // An asset with other bytes under its name is refused, naming it; nothing is replaced.
    const archive = rel.assets.find((a) => a.name.endsWith('.tar.gz'))!;
    archive.bytes = Buffer.from('tampered');
    archive.sha256 = 'f'.repeat(64);
    const conflict = await cli(['publish-to', 'github', '0.2.0'], { GITHUB_TOKEN: TOKEN });
    assert.equal(conflict.status, 1);
    assert.match(conflict.stderr, /has other files under these names already: panel-0\.2\.0-linux-amd64\.tar\.gz/);
    void base;
  });

  it('GitHub: broken-off uploads and a 500 are retried to one copy each; missing and refused tokens are clear', async () => {
    const { repo, cli } = await project({ publish: ['github'], github: github('acme/faults') });
    const none = await cli(['release']);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /needs a token in \$GITHUB_TOKEN \(it is not set\)/);
    const empty = await cli(['release'], { GITHUB_TOKEN: '' });
    assert.match(empty.stderr, /needs a token in \$GITHUB_TOKEN \(it is empty\)/);
    // A repository that is not owner/name is a config error before anything is written.
    const config = JSON.parse(await readFile(join(repo.dir, 'slipway.json'), 'utf8')) as {
      repository?: string;
      release: { github: { repository: string | null } };
    };
    config.release.github.repository = 'noslash';
    await repo.commit('chore: try a bad repository', { 'slipway.json': JSON.stringify(config) });
    const bad = await cli(['release', '--dry-run'], { GITHUB_TOKEN: TOKEN });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /release\.github\.repository is "noslash": expected owner\/name/);
    config.release.github.repository = null;
    delete config.repository;
    await repo.commit('chore: and none', { 'slipway.json': JSON.stringify(config) });
    const unnamed = await cli(['release', '--dry-run'], { GITHUB_TOKEN: TOKEN });
    assert.equal(unnamed.status, 2);
    assert.match(unnamed.stderr, /neither release\.github\.repository nor "repository" names the repository/);
    await repo.git('reset', '-q', '--hard', 'HEAD~2');
    assert.deepEqual((await repo.git('tag', '--list')).split('\n'), ['v0.1.0'], 'nothing was written');

    forge.uploadFaults.push('cut-open', 'cut', 500);
    const r = await cli(['release', '--json'], { GITHUB_TOKEN: TOKEN });
    assert.equal(r.status, 0, r.stderr);
    const rel = forge.releases.get('github:acme/faults:v0.2.0')!;
    assert.deepEqual(rel.assets.map((a) => `${a.name}:${a.state}`).sort(), [
      'SHA256SUMS:uploaded',
      'panel-0.2.0-linux-amd64.tar.gz:uploaded',
    ]);

    const wrong = await cli(['publish-to', 'github', '0.2.0'], { GITHUB_TOKEN: 'ghp_wrongTokenValue' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /the token in \$GITHUB_TOKEN was refused: renew it/);
    assert.ok(!wrong.stderr.includes('ghp_wrongTokenValue'));
    assert.doesNotMatch(wrong.stderr, /at .*\.(ts|js):\d+/, 'no stack trace');
  });

  it('GitLab and Gitea: releases with the files in the package registry and as attachments, links, idempotent', async () => {
    const { repo, cli } = await project({
      publish: ['gitlab', 'gitea'],
      gitlab: { baseUrl: `${forge.url}/api/gitlab`, repository: 'group/sub/panel' },
      gitea: { baseUrl: `${forge.url}/api/gitea`, repository: 'acme/panel' },
    });
    const tokens = { GITLAB_TOKEN: TOKEN, GITEA_TOKEN: TOKEN };
    forge.uploadFaults.push('cut');
    const r = await cli(['release', '--channel', 'beta', '--json'], tokens);
    assert.equal(r.status, 0, r.stderr);
    const lab = forge.releases.get('gitlab:group/sub/panel:v0.2.0-beta.1')!;
    assert.equal(lab.commitish, (await repo.git('rev-parse', 'HEAD')).trim());
    assert.deepEqual(lab.links.map((l) => l.name).sort(), ['SHA256SUMS', 'panel-0.2.0-beta.1-linux-amd64.tar.gz']);
    assert.match(
      lab.links[0]!.url,
      /\/api\/gitlab\/projects\/group%2Fsub%2Fpanel\/packages\/generic\/aiPanel\/0\.2\.0-beta\.1\//,
    );
    const files = forge.packages.get('group/sub/panel/aiPanel/0.2.0-beta.1')!;
    assert.deepEqual(
      files.map((f) => f.name).sort(),
      ['SHA256SUMS', 'panel-0.2.0-beta.1-linux-amd64.tar.gz'],
      'one copy each',
    );
    const tea = forge.releases.get('gitea:acme/panel:v0.2.0-beta.1')!;
    assert.equal(tea.prerelease, true);
    assert.deepEqual(tea.assets.map((a) => a.name).sort(), ['SHA256SUMS', 'panel-0.2.0-beta.1-linux-amd64.tar.gz']);

    const mark = forge.log.length;
    const again = await cli(['publish-to', 'gitea', '0.2.0-beta.1', '--json'], tokens);
    assert.equal(again.status, 0, again.stderr);
    const lab2 = await cli(['publish-to', 'gitlab', '0.2.0-beta.1', '--json'], tokens);
    assert.equal(lab2.status, 0, lab2.stderr);
    assert.deepEqual(
      forge.log.slice(mark).filter((l) => l.method !== 'GET'),
      [],
      'no write on a re-run',
    );
    const dry = await cli(['publish-to', 'gitea', '0.2.0-beta.1', '--dry-run', '--json'], tokens);
    assert.equal(dry.status, 0, dry.stderr);
    assert.equal((JSON.parse(dry.stdout) as { outcome: string }).outcome, 'planned');
  });

  it('announces on a webhook (Discord JSON) with the summary and the release link, retrying a 5xx; the address is never printed', async () => {
    const bodies: Record<string, unknown>[] = [];
    let fail = 1;
    let gone = false;
    const receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        if (gone) {
          res.writeHead(404).end();
          return;
        }
        if (fail-- > 0) {
          res.writeHead(502).end();
          return;
        }
        bodies.push(JSON.parse(raw) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    after(() => new Promise<void>((done) => receiver.close(() => done())));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/123/secret-part`;
    const { repo, cli } = await project({
      publish: ['github'],
      github: github('acme/announced'),
      announce: [{ type: 'webhook', format: 'discord', urlEnv: 'DISCORD_WEBHOOK' }],
      post: [{ name: 'mark', run: ['touch', 'post-ran'] }],
    });
    // A webhook that answers 404: the release stands, the post steps run, the next release is not blocked.
    const dead = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gone`;
    fail = 0;
    gone = true;
    const failed = await cli(['release', '--json'], { GITHUB_TOKEN: TOKEN, DISCORD_WEBHOOK: dead });
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /announcing on the discord webhook in \$DISCORD_WEBHOOK failed: 404/);
    assert.ok(existsSync(join(repo.dir, 'post-ran')), 'the post step ran');
    gone = false;
    fail = 1;
    await repo.commit('fix: later');
    const missing = await cli(['release'], { GITHUB_TOKEN: TOKEN });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\$DISCORD_WEBHOOK, which is not set/);
    const r = await cli(['release', '--json'], { GITHUB_TOKEN: TOKEN, DISCORD_WEBHOOK: hook });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes('secret-part') && !r.stderr.includes('secret-part'));
    assert.equal(bodies.length, 1);
    const content = bodies[0]!.content as string;
    assert.match(content, /^aiPanel 0\.2\.1 is out on stable/, 'the next release, not a resume of the last');
    assert.match(content, /later/);
    assert.match(content, /http:\/\/127\.0\.0\.1:\d+\/acme\/announced\/releases\/tag\/v0\.2\.1/);
    const out = JSON.parse(r.stdout) as { steps: { announce: { status: string; detail: string } } };
    assert.deepEqual(out.steps.announce, {
      ...out.steps.announce,
      status: 'done',
      detail: 'announced on the discord webhook in $DISCORD_WEBHOOK',
    });
  });
});
