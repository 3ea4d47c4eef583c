import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, scratchRepo, tempDir, writeTarball } from './helpers.ts';

const env = { SLIPWAY_KEY_PASSPHRASE: 'correct horse battery' };

/** A repository with keys and a feed beside it, and a CLI bound to both. */
async function setup() {
  const repo = await scratchRepo();
  const base = await tempDir();
  const keys = join(base, 'keys');
  const feed = join(base, 'feed');
  const cli = (...args: string[]) =>
    runCli(
      [
        ...args,
        ...(args[0] === 'feed' && ['status', 'verify', 'install-script'].includes(args[1]!) ? [] : ['--keys', keys]),
        '--feed',
        feed,
      ],
      { cwd: repo.dir, env },
    );
  const plain = (...args: string[]) => runCli(args, { cwd: repo.dir, env });
  assert.equal((await plain('keys', 'init', '--keys', keys)).status, 0);
  assert.equal((await cli('feed', 'init')).status, 0);
  // A real archive for a .tar.gz (publish reads it as an instance would), plain bytes otherwise.
  const artifact = async (name: string, content: string): Promise<string> => {
    const path = join(base, name);
    if (/\.(tar\.gz|tgz)$/.test(name)) return writeTarball(path, { 'content.txt': content });
    await writeFile(path, content);
    return path;
  };
  return { repo, base, keys, feed, cli, plain, artifact };
}

describe('promotion rules (slipway publish / promote, the server panel strategy)', () => {
  it('beta from main, stable only after a beta of the same commit, hotfix lane, yank', async () => {
    const { repo, cli, artifact, feed } = await setup();
    const main1 = await repo.commit('feat: first feature');
    const a = await artifact('app-linux-amd64.tar.gz', 'build of main1');

    let r = await cli('publish', '1.0.0-beta.1', a, '--channel', 'beta', '--json');
    assert.equal(r.status, 0, r.stderr);
    const published = JSON.parse(r.stdout) as {
      manifest: { commit: string; hotfix: boolean; artifacts: Record<string, { sha256: string }> };
    };
    assert.equal(published.manifest.commit, main1);
    assert.ok(published.manifest.artifacts['linux/amd64']);

    // Stable of another commit than the beta: refused, and the error says what is on beta.
    // (A commit with the beta's tree is the same code, and would pass: this one changes code.)
    await repo.commit('fix: something after the beta', { 'src/app.js': 'fixed\n' });
    r = await cli('publish', '1.0.0', a, '--channel', 'stable');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /needs a beta release 1\.0\.0-beta\.N of the same commit/);
    assert.match(r.stderr, /1\.0\.0-beta\.1 \(/);

    // Stable of the beta's commit: accepted.
    r = await cli('publish', '1.0.0', a, '--channel', 'stable', '--commit', main1);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /1\.0\.0-beta\.1 of [0-9a-f]{7} is on beta/);
    await repo.git('tag', 'v1.0.0', main1);

    // A beta from a branch that is not main: refused.
    await repo.git('checkout', '-q', '-b', 'feature/x');
    await repo.commit('feat: unmerged work');
    r = await cli('publish', '1.1.0-beta.1', a, '--channel', 'beta');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not on main; every beta release is built from main/);

    // Hotfix lane: hotfix/* cut from the stable tag goes straight to stable, marked.
    await repo.git('checkout', '-q', '-b', 'hotfix/v1.0.1', 'v1.0.0');
    await repo.commit('fix: the critical bug');
    const fix = await artifact('app-linux-amd64.tar.gz', 'build of the hotfix');
    r = await cli(
      'publish',
      '1.0.1',
      fix,
      '--channel',
      'stable',
      '--security',
      'high',
      '--advisory',
      'CVE-2026-0001',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const hot = JSON.parse(r.stdout) as {
      manifest: { hotfix: boolean; security: { severity: string; advisory: string } };
    };
    assert.equal(hot.manifest.hotfix, true);
    assert.deepEqual(hot.manifest.security, { severity: 'high', advisory: 'CVE-2026-0001' });

    // Promote: a nightly of a main commit to beta; a version never published; a wrong direction.
    await repo.git('checkout', '-q', 'main');
    const nightly = await artifact('app-linux-amd64.tar.gz', 'nightly build');
    assert.equal((await cli('publish', '1.1.0-beta.1', nightly, '--channel', 'nightly')).status, 0);
    r = await cli('promote', '1.1.0-beta.1', '--to', 'beta');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /promoted 1\.1\.0-beta\.1 from nightly to beta/);
    r = await cli('promote', '9.9.9', '--to', 'stable');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /9\.9\.9 was never published to this feed/);
    r = await cli('promote', '1.0.0', '--to', 'beta');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /promotion goes to a more stable channel/);
    r = await cli('publish', '1.0.0', a, '--channel', 'edge');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /channel "edge" is not one of nightly, beta, stable/);
    r = await cli('publish', 'one', a, '--channel', 'beta');
    assert.equal(r.status, 2);

    // Yank: instances on stable now get 1.0.1; the feed keeps 1.0.0 with the reason.
    // The repository's CHANGELOG.md says so too, as Keep a Changelog shows a withdrawn release.
    await writeFile(
      join(repo.dir, 'CHANGELOG.md'),
      '# Changelog\n\n## [1.0.1] - 2026-01-02\n\n### Fixed\n\n- login\n\n## [1.0.0] - 2026-01-01\n',
    );
    r = await cli('yank', '1.0.1', '--reason', 'breaks login', '--dry-run');
    assert.match(r.stdout, /would yank 1\.0\.1 from stable/);
    assert.match(r.stdout, /would mark 1\.0\.1 \[YANKED\] in CHANGELOG\.md/);
    r = await cli('yank', '1.0.1', '--reason', 'breaks login');
    assert.equal(r.status, 0, r.stderr);
    assert.match(await readFile(join(repo.dir, 'CHANGELOG.md'), 'utf8'), /^## \[1\.0\.1\] - 2026-01-02 \[YANKED\]$/m);
    r = await cli('feed', 'verify', '--json');
    assert.equal(r.status, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { channels: { channel: string; newest: string | null; yanked: string[] }[] };
    const stable = seen.channels.find((c) => c.channel === 'stable')!;
    assert.equal(stable.newest, '1.0.0');
    assert.deepEqual(stable.yanked, ['1.0.1']);
    assert.equal(seen.channels.find((c) => c.channel === 'beta')!.newest, '1.1.0-beta.1');

    r = await cli('feed', 'status', '--json');
    assert.equal(r.status, 0, r.stderr);
    const st = JSON.parse(r.stdout) as {
      roles: { role: string; state: string }[];
      channels: { channel: string; releases: number; yanked: number }[];
    };
    assert.deepEqual(
      st.channels.find((c) => c.channel === 'stable'),
      { channel: 'stable', releases: 2, yanked: 1, newest: '1.0.0', agent: [] },
    );
    assert.ok(st.roles.every((x) => x.state === 'ok'));
    assert.ok(
      (await readFile(join(feed, 'releases', '1.0.1', 'SHA256SUMS'), 'utf8')).includes('app-linux-amd64.tar.gz'),
    );
  });

  it('keeps the newest N nightlies (feed.retention) and the rules can be switched off', async () => {
    const { repo, cli, artifact, feed, base, keys } = await setup();
    await repo.write('slipway.json', JSON.stringify({ feed: { retention: { nightly: 2 }, enforcePromotion: false } }));
    await repo.commit('chore: config');
    for (let i = 1; i <= 4; i++) {
      const a = await artifact('app-linux-amd64.tar.gz', `nightly ${i}`);
      const r = await cli('publish', `1.0.0-beta.0.nightly.2026112${i}.1.gabc`, a, '--channel', 'nightly');
      assert.equal(r.status, 0, r.stderr);
      if (i === 3) assert.match(r.stdout, /pruned 1 old nightly release/);
    }
    const r = await cli('feed', 'status', '--json');
    const st = JSON.parse(r.stdout) as { channels: { channel: string; releases: number; newest: string }[] };
    assert.equal(st.channels.find((c) => c.channel === 'nightly')!.releases, 2);
    // The files of nightly 1 left with the change after the one that pruned it.
    const { readdir } = await import('node:fs/promises');
    const left = await readdir(join(feed, 'targets', 'nightly'));
    assert.ok(!left.includes('1.0.0-beta.0.nightly.20261121.1.gabc'), left.join(' '));
    const views = await readdir(join(feed, 'releases'));
    assert.ok(
      !views.includes('1.0.0-beta.0.nightly.20261121.1.gabc') && views.includes('1.0.0-beta.0.nightly.20261124.1.gabc'),
      views.join(' '),
    );
    const stable = await artifact('app-linux-amd64.tar.gz', 'a stable without a beta');
    assert.equal(
      (await cli('publish', '2.0.0', stable, '--channel', 'stable')).status,
      0,
      'rules off: stable without beta',
    );
    // A feed kept outside any repository: the working folder's slipway.json (or --config) applies.
    const apart = join(base, 'apart');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(apart);
    const outside = (...args: string[]) => runCli([...args, '--keys', keys, '--feed', feed], { cwd: apart, env });
    const lone = await artifact('app-linux-amd64.tar.gz', 'published from outside a repository');
    const refused = await outside('publish', '2.1.0', lone, '--channel', 'stable');
    assert.notEqual(refused.status, 0, 'the rules apply by default');
    assert.match(refused.stderr, /enforcePromotion/);
    await writeFile(join(apart, 'rules-off.json'), JSON.stringify({ feed: { enforcePromotion: false } }));
    const viaFlag = await outside('publish', '2.1.0', lone, '--channel', 'stable', '--config', 'rules-off.json');
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    await writeFile(join(apart, 'slipway.json'), JSON.stringify({ feed: { enforcePromotion: false } }));
    const lone2 = await artifact('app-linux-amd64.tar.gz', 'and again, from its slipway.json');
    const viaFile = await outside('publish', '2.2.0', lone2, '--channel', 'stable');
    assert.equal(viaFile.status, 0, viaFile.stderr);
    const dry = await cli('feed', 'prune', '--channel', 'nightly', '--keep', '1', '--dry-run', '--json');
    assert.deepEqual((JSON.parse(dry.stdout) as { pruned: unknown }).pruned, {
      nightly: ['1.0.0-beta.0.nightly.20261123.1.gabc'],
    });
  });

  it('rotates keys and keeps the feed fresh from the command line', async () => {
    const { cli, repo, artifact } = await setup();
    await repo.commit('feat: x');
    assert.equal(
      (await cli('publish', '1.0.0-beta.1', await artifact('app-linux-amd64.tar.gz', 'b1'), '--channel', 'nightly'))
        .status,
      0,
    );
    let r = await cli('keys', 'rotate', 'root', '--dry-run');
    assert.match(
      r.stdout,
      /would create a new root key and write N\+1\.root\.json signed by the old and the new root key/,
    );
    for (const role of ['root', 'snapshot', 'nightly']) {
      r = await cli('keys', 'rotate', role, '--json');
      assert.equal(r.status, 0, r.stderr);
    }
    assert.equal((JSON.parse(r.stdout) as { rootVersion: number }).rootVersion, 3);
    r = await cli('keys', 'rotate', 'gremlin');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /"gremlin" is not a role of this feed/);
    r = await cli('feed', 'refresh', '--dry-run', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { resigned: string[] }).resigned, ['timestamp']);
    r = await cli('feed', 'refresh');
    assert.equal(r.status, 0, r.stderr);
    // An instance that trusts the first root still reads the feed through all three rotations.
    r = await cli('feed', 'verify', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      (JSON.parse(r.stdout) as { channels: { channel: string; newest: string }[] }).channels[0]!.newest,
      '1.0.0-beta.1',
    );
  });

  it('a release folder that sha256sum -c and openssl (cosign verify-blob) check after a plain download', async () => {
    const { cli, artifact, feed, base, repo } = await setup();
    await repo.commit('feat: first');
    const amd = await artifact('app-linux-amd64.tar.gz', 'amd64 build');
    const arm = await artifact('app-linux-arm64.tar.gz', 'arm64 build');
    const r = await cli('publish', '1.0.0-beta.1', amd, arm, '--channel', 'beta');
    assert.equal(r.status, 0, r.stderr);
    const dir = join(feed, 'releases', '1.0.0-beta.1');
    const { spawnSync } = await import('node:child_process');
    const { readdir, stat } = await import('node:fs/promises');
    assert.deepEqual((await readdir(dir)).sort(), [
      'SHA256SUMS',
      'SHA256SUMS.sig',
      'app-linux-amd64.tar.gz',
      'app-linux-arm64.tar.gz',
      'cosign.pub',
    ]);
    // Hard links to the stored targets: no second copy of an artifact on disk.
    assert.ok((await stat(join(dir, 'app-linux-amd64.tar.gz'))).nlink >= 2);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /app-linux-amd64\.tar\.gz: OK\napp-linux-arm64\.tar\.gz: OK/);
    const sig = join(base, 'sig.der');
    await writeFile(sig, Buffer.from((await readFile(join(dir, 'SHA256SUMS.sig'), 'utf8')).trim(), 'base64'));
    const verify = spawnSync('openssl', ['dgst', '-sha256', '-verify', 'cosign.pub', '-signature', sig, 'SHA256SUMS'], {
      cwd: dir,
      encoding: 'utf8',
    });
    assert.match(verify.stdout, /Verified OK/, verify.stderr);
  });

  it('a library publishes its wheel and sdist together; artifacts an instance or pip would refuse never enter the feed', async () => {
    const { cli, base, repo } = await setup();
    await repo.commit('feat: first');
    const wheel = join(base, 'dist', 'mylib-1.0.0b1-py3-none-any.whl');
    const { mkdir: mk, symlink } = await import('node:fs/promises');
    await mk(join(base, 'dist'), { recursive: true });
    // A wheel is a zip: the local file header's signature, then anything.
    await writeFile(wheel, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(64, 1)]));
    const sdist = await writeTarball(join(base, 'dist', 'mylib-1.0.0b1.tar.gz'), {
      'mylib-1.0.0b1/PKG-INFO': 'Metadata-Version: 2.1\nName: mylib\nVersion: 1.0.0b1\n',
      'mylib-1.0.0b1/mylib/__init__.py': '__version__ = "1.0.0b1"\n',
    });
    const ok = await cli('publish', '1.0.0-beta.1', wheel, sdist, '--channel', 'beta', '--json');
    assert.equal(ok.status, 0, ok.stderr);
    const m = JSON.parse(ok.stdout) as {
      manifest: { artifacts: Record<string, { name: string; kind: string; platform: string; entries?: number }> };
    };
    assert.deepEqual(Object.keys(m.manifest.artifacts).sort(), ['any:sdist', 'any:wheel']);
    assert.equal(m.manifest.artifacts['any:sdist']!.kind, 'sdist');
    assert.equal(m.manifest.artifacts['any:sdist']!.entries, 2);
    assert.equal(m.manifest.artifacts['any:wheel']!.name, 'mylib-1.0.0b1-py3-none-any.whl');

    // Each refusal names the file and the reason, and --dry-run refuses the same.
    const app = (version: string) =>
      JSON.stringify({
        name: 'app',
        version,
        start: { command: ['./run'] },
        health: { url: 'http://127.0.0.1:{port}/healthz' },
      });
    const wrongVersion = await writeTarball(join(base, 'wrong', 'app-linux-amd64.tar.gz'), {
      'slipway.app.json': app('9.9.9'),
    });
    const src = join(base, 'evil-src');
    await mk(src, { recursive: true });
    await writeFile(join(src, 'slipway.app.json'), app('1.1.0-beta.1'));
    await symlink('../../../etc', join(src, 'etc'));
    const tar = await import('tar');
    const evil = join(base, 'evil', 'app-linux-amd64.tar.gz');
    await mk(join(base, 'evil'), { recursive: true });
    await tar.c({ gzip: true, file: evil, cwd: src }, ['slipway.app.json', 'etc']);
    const notZip = join(base, 'bad', 'mylib-1.1.0b1-py3-none-any.whl');
    await mk(join(base, 'bad'), { recursive: true });
    await writeFile(notZip, 'not a zip');
    const one = await writeTarball(join(base, 'one', 'app-linux-amd64.tar.gz'), {
      'slipway.app.json': app('1.1.0-beta.1'),
    });
    const two = await writeTarball(join(base, 'two', 'panel-linux-x64.tar.gz'), {
      'slipway.app.json': app('1.1.0-beta.1'),
    });
    const cases: [string[], RegExp][] = [
      [
        [wrongVersion],
        /app-linux-amd64\.tar\.gz cannot be published: .*says version 9\.9\.9, but the release is 1\.1\.0-beta\.1/,
      ],
      [
        [evil],
        /cannot be published: an instance would refuse to unpack it: etc \(link pointing out of the release folder/,
      ],
      [[notZip], /mylib-1\.1\.0b1-py3-none-any\.whl cannot be published: a wheel is a zip archive/],
      [[one, two], /app-linux-amd64\.tar\.gz and panel-linux-x64\.tar\.gz are both the app for linux\/amd64/],
    ];
    for (const [files, why] of cases)
      for (const dry of [true, false]) {
        const r = await cli('publish', '1.1.0-beta.1', ...files, '--channel', 'beta', ...(dry ? ['--dry-run'] : []));
        assert.notEqual(r.status, 0, `${files.join(' ')}${dry ? ' --dry-run' : ''}`);
        assert.match(r.stderr, why);
      }
    const status = await cli('feed', 'status', '--json');
    assert.doesNotMatch(status.stdout, /1\.1\.0-beta\.1/, 'nothing refused entered the feed');
  });

  it("publishes Slipway's executables as the channel's slipway target and writes an install.sh that pins them and the root", async () => {
    const { cli, feed, base } = await setup();
    const url = 'https://updates.example.test/feed';
    // Before any executable is published, install.sh has nothing to install.
    let r = await runCli(['feed', 'install-script', '--feed', feed, '--url', url, '--app', 'panel']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /carries no Slipway executables[\s\S]*feed publish-agent/);
    /**
     * What publish-agent reads of an executable without running it: its ELF header (the machine)
     * and Slipway's build record. The real executables are published and installed in
     * test/binaries.test.ts; these are only their first bytes, for the checks.
     */
    const executable = async (name: string, machine: number, version: string) => {
      const head = Buffer.alloc(64);
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(head);
      head.writeUInt16LE(2, 16);
      head.writeUInt16LE(machine, 18);
      const record = JSON.stringify({ slipway: version, build: '2026-12-01T10:00:00Z', commit: 'a'.repeat(40) });
      await writeFile(join(base, name), Buffer.concat([head, Buffer.alloc(3_000_000, 0x90), Buffer.from(record)]));
      return join(base, name);
    };
    const x64 = await executable('slipway-linux-x64', 62, '0.4.0');
    const arm = await executable('slipway-linux-arm64', 183, '0.4.0');
    for (const [files, why] of [
      [[await executable('slipway-linux-x64-old', 62, '0.3.9')], /is Slipway 0\.3\.9, not 0\.4\.0/],
      [
        [await executable('slipway-linux-arm64-odd', 62, '0.4.0')],
        /named for linux\/arm64 but is an executable for linux\/amd64/,
      ],
      [[await executable('slipway-riscv', 243, '0.4.0')], /not a Linux executable for linux\/amd64 or linux\/arm64/],
      [[x64, x64], /are both for linux\/amd64/],
      [[join(base, 'missing')], /does not exist/],
    ] as const)
      for (const dry of [true, false]) {
        r = await cli('feed', 'publish-agent', '0.4.0', ...files, '--channel', 'stable', ...(dry ? ['--dry-run'] : []));
        assert.notEqual(r.status, 0, `${files.join(' ')}${dry ? ' --dry-run' : ''}`);
        assert.match(r.stderr, why);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
    r = await cli('feed', 'publish-agent', '0.4.0', x64, arm, '--channel', 'stable', '--dry-run', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { outcome: string }).outcome, 'planned');
    assert.equal(await readFile(join(feed, 'install.sh'), 'utf8').catch(() => null), null, 'a dry run writes nothing');
    r = await cli('feed', 'publish-agent', 'v0.4.0', x64, arm, '--channel', 'stable', '--json');
    assert.equal(r.status, 0, r.stderr);
    const published = JSON.parse(r.stdout) as {
      outcome: string;
      release: { artifacts: Record<string, { path: string }> };
    };
    assert.equal(published.outcome, 'published');
    assert.equal(published.release.artifacts['linux/arm64']!.path, 'stable/slipway/slipway-0.4.0-linux-arm64.tar.gz');
    // The same bytes again change nothing; other bytes under the same version are refused.
    r = await cli('feed', 'publish-agent', '0.4.0', x64, arm, '--channel', 'stable', '--json');
    assert.equal((JSON.parse(r.stdout) as { outcome: string }).outcome, 'unchanged');
    // Some of them again (a job per architecture, run again): unchanged too.
    r = await cli('feed', 'publish-agent', '0.4.0', arm, '--channel', 'stable', '--json');
    assert.equal((JSON.parse(r.stdout) as { outcome: string }).outcome, 'unchanged', r.stderr);
    await writeFile(x64, Buffer.concat([await readFile(x64), Buffer.from('x')]));
    r = await cli('feed', 'publish-agent', '0.4.0', x64, '--channel', 'stable');
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /published on stable already and its linux\/amd64 executable is sha256 [0-9a-f]{12}…, this one [0-9a-f]{12}…/,
    );
    // A channel the feed does not have: the roles there are are named.
    r = await cli('feed', 'publish-agent', '0.4.1', arm, '--channel', 'stabel');
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /has keys for .*stable.*: is "stabel" a channel of this feed\?/);
    // A real TUF client sees them, signed by the channel's role.
    const verify = await cli('feed', 'verify', '--json');
    assert.equal(verify.status, 0, verify.stderr);

    r = await runCli(['feed', 'install-script', '--feed', feed, '--url', url, '--app', 'panel']);
    assert.equal(r.status, 0, r.stderr);
    const script = await readFile(join(feed, 'install.sh'), 'utf8');
    const { createHash } = await import('node:crypto');
    assert.ok(
      script.includes(
        createHash('sha256')
          .update(await readFile(join(feed, 'metadata', '1.root.json')))
          .digest('hex'),
      ),
    );
    assert.match(
      script,
      /^stable amd64 0\.4\.0 targets\/stable\/slipway\/[0-9a-f]{64}\.slipway-0\.4\.0-linux-amd64\.tar\.gz [0-9a-f]{64} /m,
    );
    assert.doesNotMatch(script, /npm install/);
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('bash', ['-n', join(feed, 'install.sh')]).status, 0, 'bash parses it');
    // Publishing the next executables writes install.sh again, pinning them.
    await cli(
      'feed',
      'publish-agent',
      '0.5.0',
      await executable('slipway-linux-x64', 62, '0.5.0'),
      '--channel',
      'stable',
    );
    assert.match(await readFile(join(feed, 'install.sh'), 'utf8'), /^stable amd64 0\.5\.0 /m);
    // The arm64 executable pinned is still 0.4.0's: 0.5.0 has none.
    assert.match(await readFile(join(feed, 'install.sh'), 'utf8'), /^stable arm64 0\.4\.0 /m);
    const fs = JSON.parse((await cli('feed', 'status', '--json')).stdout) as {
      channels: { channel: string; agent: string[] }[];
    };
    assert.deepEqual(fs.channels.find((c) => c.channel === 'stable')!.agent, ['0.5.0', '0.4.0']);
    assert.equal((await cli('feed', 'install-script', '--url', 'ftp://x')).status, 2);
  });
});
