import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, scratchRepo, tempDir } from './helpers.ts';
import { BUILD_PY } from './python-build.ts';
import { startPypi, type PypiStandIn } from './pypi-server.ts';

/**
 * The PyPI publisher against a STAND-IN of PyPI's legacy upload API (test/pypi-server.ts: no
 * PyPI-compatible server can be installed here), which checks the multipart form as Warehouse
 * does. Debian's twine is run against the same stand-in and on the same files, so Slipway's
 * checks and uploads are held to what twine does.
 */

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? 1, out }));
  });
}

describe('publishing to PyPI (a stand-in of the legacy upload API; twine against it too)', () => {
  const token = 'pypi-AgEIcHlwaS5vcmc-test-token-0123456789';
  let pypi: PypiStandIn;
  before(async () => {
    pypi = await startPypi(token);
  });
  after(() => pypi.close());

  async function pyRepo(extra: Record<string, unknown> = {}, server = pypi) {
    const repo = await scratchRepo();
    await repo.commit('feat: first', {
      'pyproject.toml': '[project]\nname = "fx-lib"\nversion = "0.1.0"\n',
      'build.py': BUILD_PY,
      '.gitignore': '.slipway/\ndist/\n',
      'slipway.json': `${JSON.stringify(
        {
          channels: ['beta', 'stable'],
          feed: { enforcePromotion: false },
          release: {
            build: [{ name: 'wheel and sdist', run: ['python3', 'build.py'], artifacts: ['dist/*'] }],
            publish: ['pypi'],
            pypi: { repository: server.repository },
            ...extra,
          },
        },
        null,
        2,
      )}\n`,
    });
    await repo.tag('v0.1.0');
    await repo.commit('feat: greet');
    return repo;
  }

  it('checks and uploads the wheel and sdist as twine does; again is a no-op; other bytes are refused', async () => {
    const repo = await pyRepo();
    const r = await runCli(['release', '--json'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the token is never printed');
    const out = JSON.parse(r.stdout) as { steps: { publish: { detail: string } } };
    assert.match(
      out.steps.publish.detail,
      /pypi: published fx_lib-0\.2\.0-py3-none-any\.whl, published fx_lib-0\.2\.0\.tar\.gz/,
    );
    const wheel = pypi.files.get('fx_lib-0.2.0-py3-none-any.whl')!;
    assert.deepEqual(
      {
        name: wheel.fields.name,
        version: wheel.fields.version,
        filetype: wheel.fields.filetype,
        pyversion: wheel.fields.pyversion,
        classifiers: wheel.fields.classifiers,
        requires_python: wheel.fields.requires_python,
        description_content_type: wheel.fields.description_content_type,
      },
      {
        name: ['fx-lib'],
        version: ['0.2.0'],
        filetype: ['bdist_wheel'],
        pyversion: ['py3'],
        classifiers: ['Programming Language :: Python :: 3', 'License :: OSI Approved :: MIT License'],
        requires_python: ['>=3.8'],
        description_content_type: ['text/markdown'],
      },
    );
    assert.match(wheel.fields.description![0]!, /A fixture library/);
    assert.equal(pypi.files.get('fx_lib-0.2.0.tar.gz')!.fields.pyversion![0], 'source');

    // twine check agrees the files are well-formed, and twine's own upload of them to a second
    // stand-in is accepted with the same fields Slipway sent.
    const dist = join(repo.dir, 'dist');
    const names = (await readdir(dist)).map((f) => join(dist, f));
    const check = await run('twine', ['check', '--strict', ...names], repo.dir);
    assert.equal(check.status, 0, check.out);
    const other = await startPypi(token);
    try {
      const up = await run(
        'twine',
        ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', other.repository, ...names],
        repo.dir,
        { TWINE_USERNAME: '__token__', TWINE_PASSWORD: token },
      );
      assert.equal(up.status, 0, `${up.out}\n${JSON.stringify(other.uploads)}`);
      const twined = other.files.get('fx_lib-0.2.0-py3-none-any.whl')!;
      assert.equal(twined.sha256, wheel.sha256, 'the same file');
      for (const k of ['name', 'version', 'filetype', 'pyversion', 'metadata_version', 'sha256_digest', 'classifiers'])
        assert.deepEqual(wheel.fields[k], twined.fields[k], `field ${k} as twine sends it`);
    } finally {
      await other.close();
    }

    // Again (a retry, a resume): nothing is uploaded.
    const count = pypi.uploads.length;
    const again = await runCli(['publish-to', 'pypi', '0.2.0', '--json'], {
      cwd: repo.dir,
      env: { PYPI_TOKEN: token },
    });
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { outcome: string }).outcome, 'unchanged');
    assert.equal(pypi.uploads.length, count, 'no upload was made');

    // Other bytes under the same version: refused before any upload.
    const rebuilt = await run('python3', ['build.py'], repo.dir, { EXTRA: ' Changed.' });
    assert.equal(rebuilt.status, 0, rebuilt.out);
    const conflict = await runCli(['publish-to', 'pypi', '0.2.0', 'dist/fx_lib-0.2.0-py3-none-any.whl'], {
      cwd: repo.dir,
      env: { PYPI_TOKEN: token },
    });
    assert.equal(conflict.status, 1);
    assert.match(conflict.stderr, /fx_lib-0\.2\.0-py3-none-any\.whl is on .* already with other content/);
    assert.equal(pypi.uploads.length, count);
    // --dry-run says the same without uploading.
    const dry = await runCli(['publish-to', 'pypi', '0.2.0', '--dry-run', 'dist/fx_lib-0.2.0.tar.gz'], {
      cwd: repo.dir,
      env: { PYPI_TOKEN: token },
    });
    assert.equal(dry.status, 1);
    assert.match(dry.stderr, /already with other content/);
  });

  it('a package whose metadata disagrees with the release is refused before anything is pushed or uploaded', async () => {
    const repo = await pyRepo({ push: 'origin' });
    const remote = await tempDir('slipway-remote-');
    await run('git', ['init', '--bare', '-q', remote], remote);
    await repo.git('remote', 'add', 'origin', remote);
    await repo.git('push', '-q', 'origin', 'HEAD', 'v0.1.0');
    const r = await runCli(['release'], { cwd: repo.dir, env: { PYPI_TOKEN: token, META_VERSION: '0.1.9' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /twine check would fail/);
    assert.match(r.stderr, /the metadata says version 0\.1\.9, and the release is 0\.2\.0/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
    assert.equal((await run('git', ['tag', '--list'], remote)).out.trim(), 'v0.1.0', 'the tag was not pushed');
    assert.ok(![...pypi.files.keys()].some((f) => f.includes('0.1.9')), 'nothing was uploaded');
    // Rebuilt right, the resume checks the files again and completes.
    assert.equal((await run('python3', ['build.py'], repo.dir)).status, 0);
    const again = await runCli(['release', '--resume'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(again.status, 0, again.stderr);
    assert.equal((await run('git', ['tag', '--list'], remote)).out.trim().split('\n').at(-1), 'v0.2.0');
  });

  it('missing and wrong tokens, a 503 and cut connections: clear errors, and a resume completes without a duplicate', async () => {
    // Its own index: the files of the first test (the same bytes, built reproducibly) are on the shared one.
    const pypi = await startPypi(token);
    after(() => pypi.close());
    const repo = await pyRepo({}, pypi);
    const none = await runCli(['release'], { cwd: repo.dir, env: {} });
    assert.equal(none.status, 1, none.stdout);
    assert.match(none.stderr, /needs a token in \$PYPI_TOKEN/);
    assert.deepEqual((await repo.git('tag', '--list')).split('\n'), ['v0.1.0'], 'nothing was written');

    const wrong = await runCli(['release'], { cwd: repo.dir, env: { PYPI_TOKEN: 'pypi-wrong-token-value' } });
    assert.equal(wrong.status, 1);
    assert.match(
      wrong.stderr,
      /403 Forbidden: Invalid or non-existent authentication information.*check the token in \$PYPI_TOKEN/,
    );
    assert.ok(!wrong.stderr.includes('pypi-wrong-token-value'));

    // A server echoing the Basic credentials: neither the token nor its base64 form is shown or kept.
    pypi.faults.push('echo-auth');
    const echoed = await runCli(['release', '--resume', '--json'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(echoed.status, 1);
    const basic = Buffer.from(`__token__:${token}`).toString('base64');
    assert.match(echoed.stderr, /you sent authorization=\*\*\*/);
    const journal = await readFile(join(repo.dir, '.slipway/release.json'), 'utf8');
    for (const text of [echoed.stdout, echoed.stderr, journal])
      assert.ok(!text.includes(basic) && !text.includes(token));
    const empty = await runCli(['publish-to', 'pypi', '0.2.0'], { cwd: repo.dir, env: { PYPI_TOKEN: '' } });
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /needs a token in \$PYPI_TOKEN \(it is empty\)/);

    pypi.faults.push(503);
    const busy = await runCli(['release', '--resume'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(busy.status, 1);
    assert.match(busy.stderr, /503 Service Unavailable/);

    pypi.faults.push('cut-before');
    const cut = await runCli(['release', '--resume'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(cut.status, 1);
    assert.match(cut.stderr, /the connection failed/);

    // The wheel lands and the connection breaks before the answer: seen on the index, not sent again.
    pypi.faults.push('cut-after');
    const landed = await runCli(['release', '--resume', '--json'], { cwd: repo.dir, env: { PYPI_TOKEN: token } });
    assert.equal(landed.status, 0, landed.stderr);
    const accepted = pypi.uploads.filter((u) => u.filename === 'fx_lib-0.2.0-py3-none-any.whl' && u.status === 200);
    assert.equal(accepted.length, 1, 'the wheel was taken once');
  });

  it('trusted publishing: the CI OIDC token exchanged for an upload token; a GPG signature beside each file', async () => {
    const gnupg = await tempDir('slipway-gnupg-');
    const gen = await run(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', 'Release Bot <release@example.test>', 'ed25519', 'sign', '1d'],
      gnupg,
      { GNUPGHOME: gnupg },
    );
    assert.equal(gen.status, 0, gen.out);
    const repo = await pyRepo({ sign: { gpg: 'release@example.test' } });
    const ci = {
      GNUPGHOME: gnupg,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${pypi.url}/actions/id-token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: pypi.oidc.requestToken,
    };
    const r = await runCli(['release', '--channel', 'beta', '--json'], { cwd: repo.dir, env: ci });
    assert.equal(r.status, 0, r.stderr);
    const wheel = pypi.files.get('fx_lib-0.2.0b1-py3-none-any.whl');
    assert.ok(wheel, 'uploaded with the minted token');
    assert.match(wheel.signature!, /-----BEGIN PGP SIGNATURE-----/);
    await writeFile(join(gnupg, 'sig.asc'), wheel.signature!);
    await writeFile(join(gnupg, 'wheel.whl'), wheel.bytes);
    const verify = await run('gpg', ['--verify', 'sig.asc', 'wheel.whl'], gnupg, { GNUPGHOME: gnupg });
    assert.equal(verify.status, 0, verify.out);
    assert.match(verify.out, /Good signature from "Release Bot/);
  });
});
