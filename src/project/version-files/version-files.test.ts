import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../core/config/parse.ts';
import { SlipwayError } from '../../core/errors.ts';
import { normalizePep440, toPep440 } from '../../core/version/pep440.ts';
import { tempDir } from '../../../test/helpers.ts';
import { applyVersionWrite, planVersionWrite, readVersions, resolveVersionFiles } from './index.ts';

const PACKAGE = '{\n    "name": "demo",\n    "version": "1.1.9",\n    "scripts": {}\n}\n';
const LOCK =
  '{\n  "name": "demo",\n  "version": "1.1.9",\n  "lockfileVersion": 3,\n  "packages": {\n    "": {\n      "name": "demo",\n      "version": "1.1.9"\n    }\n  }\n}\n';
const PYPROJECT = `[build-system]
requires = ["hatchling"]

[project]
name = "aiogram-sentinel"
version = "1.1.9"  # bumped by slipway
dependencies = ["x>=1.0.0"]

[tool.poetry]
version = '1.1.9'

[tool.other]
version = "9.9.9"
`;
const CARGO =
  '[package]\nname = "demo"\nversion = "1.1.9"\nedition = "2021"\n\n[dependencies]\nserde = { version = "1.0.0" }\n';
const PY = '"""Version."""\n__version__: str = "1.1.9"\n';
const MARKER = 'export const VERSION = "1.1.9"; // slipway-version\nexport const OTHER = "3.3.3";\n';

async function project(): Promise<string> {
  const dir = await tempDir();
  await writeFile(join(dir, 'package.json'), PACKAGE);
  await writeFile(join(dir, 'package-lock.json'), LOCK);
  await writeFile(join(dir, 'pyproject.toml'), PYPROJECT);
  await writeFile(join(dir, 'Cargo.toml'), CARGO);
  await mkdir(join(dir, 'src/aiogram_sentinel'), { recursive: true });
  await writeFile(join(dir, 'src/aiogram_sentinel/version.py'), PY);
  await writeFile(join(dir, 'version.ts'), MARKER);
  return dir;
}

const config = parseConfig(
  JSON.stringify({
    versionFiles: [
      'package.json',
      'pyproject.toml',
      'Cargo.toml',
      'src/aiogram_sentinel/version.py',
      { path: 'version.ts', type: 'marker' },
    ],
  }),
);

describe('version files', () => {
  it('finds package.json, its lock file, pyproject.toml and Cargo.toml by themselves', async () => {
    const dir = await project();
    const files = await resolveVersionFiles(dir, parseConfig('{}'));
    assert.deepEqual(
      files.map((f) => [f.path, f.kind]),
      [
        ['package.json', 'package-json'],
        ['package-lock.json', 'package-lock'],
        ['pyproject.toml', 'pyproject'],
        ['Cargo.toml', 'cargo'],
      ],
    );
  });

  it('reads every place a version lives', async () => {
    const dir = await project();
    const found = await readVersions(dir, await resolveVersionFiles(dir, config), '1.1.9');
    assert.deepEqual(
      found.map((f) => `${f.path} ${f.where} ${f.version} ${f.matches}`),
      [
        'package.json version 1.1.9 true',
        'package-lock.json version 1.1.9 true',
        'package-lock.json packages[""].version 1.1.9 true',
        'pyproject.toml [project] version 1.1.9 true',
        'pyproject.toml [tool.poetry] version 1.1.9 true',
        'Cargo.toml [package] version 1.1.9 true',
        'src/aiogram_sentinel/version.py __version__ 1.1.9 true',
        'version.ts line 1 1.1.9 true',
      ],
    );
  });

  it('writes a version everywhere, keeping formatting and every other line', async () => {
    const dir = await project();
    const files = await resolveVersionFiles(dir, config);
    await applyVersionWrite(dir, await planVersionWrite(dir, files, '1.2.0-beta.1'));
    assert.equal(await readFile(join(dir, 'package.json'), 'utf8'), PACKAGE.replace('1.1.9', '1.2.0-beta.1'));
    assert.equal(await readFile(join(dir, 'package-lock.json'), 'utf8'), LOCK.replaceAll('1.1.9', '1.2.0-beta.1'));
    // Python files spell prereleases the PEP 440 way.
    assert.equal(
      await readFile(join(dir, 'pyproject.toml'), 'utf8'),
      PYPROJECT.replace('version = "1.1.9"', 'version = "1.2.0b1"').replace("version = '1.1.9'", "version = '1.2.0b1'"),
    );
    assert.equal(
      await readFile(join(dir, 'Cargo.toml'), 'utf8'),
      CARGO.replace('version = "1.1.9"', 'version = "1.2.0-beta.1"'),
    );
    assert.equal(await readFile(join(dir, 'src/aiogram_sentinel/version.py'), 'utf8'), PY.replace('1.1.9', '1.2.0b1'));
    assert.equal(await readFile(join(dir, 'version.ts'), 'utf8'), MARKER.replace('1.1.9', '1.2.0-beta.1'));
    const found = await readVersions(dir, files, '1.2.0-beta.1');
    assert.ok(
      found.every((f) => f.matches),
      JSON.stringify(found),
    );
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp files left',
    );
  });

  it('names each file that disagrees and the version it holds', async () => {
    const dir = await project();
    await writeFile(join(dir, 'Cargo.toml'), CARGO.replace('1.1.9', '1.1.8'));
    const found = await readVersions(dir, await resolveVersionFiles(dir, config), '1.1.9');
    assert.deepEqual(
      found.filter((f) => !f.matches).map((f) => [f.path, f.version]),
      [['Cargo.toml', '1.1.8']],
    );
  });

  it('reports a file it cannot parse with its path and the reason, and writes nothing', async () => {
    const dir = await project();
    await writeFile(join(dir, 'pyproject.toml'), '[project\nversion = 1');
    const files = await resolveVersionFiles(dir, config);
    await assert.rejects(
      readVersions(dir, files, null),
      (e: SlipwayError) => e.code === 'VERSION_FILE_UNPARSABLE' && /pyproject\.toml: invalid TOML/.test(e.message),
    );
    await assert.rejects(
      planVersionWrite(dir, files, '2.0.0'),
      (e: SlipwayError) => e.code === 'VERSION_FILE_UNPARSABLE',
    );
    assert.equal(await readFile(join(dir, 'package.json'), 'utf8'), PACKAGE, 'nothing half-written');
  });

  it('explains a pyproject.toml with a dynamic version', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "x"\ndynamic = ["version"]\n');
    await assert.rejects(
      readVersions(dir, await resolveVersionFiles(dir, parseConfig('{}')), null),
      (e: SlipwayError) => /dynamic version/.test(e.message),
    );
  });

  it('refuses a missing file and a path outside the repository', async () => {
    const dir = await tempDir();
    await assert.rejects(
      readVersions(dir, await resolveVersionFiles(dir, parseConfig('{"versionFiles": ["nope/package.json"]}')), null),
      (e: SlipwayError) => e.code === 'VERSION_FILE_MISSING',
    );
    await assert.rejects(
      resolveVersionFiles(dir, parseConfig('{"versionFiles": ["../package.json"]}')),
      (e: SlipwayError) => e.code === 'VERSION_FILE_OUTSIDE',
    );
    await assert.rejects(
      resolveVersionFiles(dir, parseConfig('{"versionFiles": ["VERSION"]}')),
      (e: SlipwayError) => e.code === 'VERSION_FILE_KIND',
    );
  });
});

describe('PEP 440', () => {
  it('spells prereleases and nightlies the Python way', () => {
    assert.equal(toPep440('1.2.0'), '1.2.0');
    assert.equal(toPep440('1.2.0-beta.2'), '1.2.0b2');
    assert.equal(toPep440('1.2.0-alpha.1'), '1.2.0a1');
    assert.equal(toPep440('1.2.0-rc.3'), '1.2.0rc3');
    assert.equal(toPep440('1.3.0-beta.2.nightly.20261122.41.gabc1234'), '1.3.0b3.dev2026112241');
  });
  it('normalises other spellings', () => {
    for (const v of ['1.2.0b2', '1.2.0-beta.2', '1.2.0.beta2', '1.2.0B2', 'v1.2.0b2'])
      assert.equal(normalizePep440(v), '1.2.0b2', v);
  });
});

describe('version files as real projects write them', () => {
  const cfg = (files: unknown[]) => parseConfig(JSON.stringify({ versionFiles: files }));

  it('refuses a package.json with "version" twice instead of reading one key and writing another', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'package.json'), '{"name":"x","version":"0.1.0","version":"0.2.0"}\n');
    const files = await resolveVersionFiles(root, cfg(['package.json']));
    await assert.rejects(
      () => readVersions(root, files, null),
      (e: unknown) =>
        e instanceof SlipwayError &&
        e.code === 'VERSION_FILE_UNPARSABLE' &&
        /"version" appears 2 times at the top level \(lines 1, 1\)/.test(e.message),
    );
    await assert.rejects(() => planVersionWrite(root, files, '0.3.0'), /appears 2 times/);
  });

  it('reads and writes a TOML multi-line string version, and keeps CRLF line ends', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'pyproject.toml'), '[project]\r\nname = "x"\r\nversion = """0.1.0"""\r\n');
    await writeFile(join(root, 'Cargo.toml'), "[package]\nname = 'x'\nversion = '''0.1.0'''\n");
    const files = await resolveVersionFiles(root, cfg(['pyproject.toml', 'Cargo.toml']));
    assert.deepEqual(
      (await readVersions(root, files, null)).map((f) => f.version),
      ['0.1.0', '0.1.0'],
    );
    await applyVersionWrite(root, await planVersionWrite(root, files, '0.2.0-beta.1'));
    assert.equal(
      await readFile(join(root, 'pyproject.toml'), 'utf8'),
      '[project]\r\nname = "x"\r\nversion = """0.2.0b1"""\r\n',
    );
    assert.equal(
      await readFile(join(root, 'Cargo.toml'), 'utf8'),
      "[package]\nname = 'x'\nversion = '''0.2.0-beta.1'''\n",
    );
  });

  it('reads PEP 440 spellings as semantic versions', async () => {
    const { fromPep440 } = await import('../../core/version/pep440.ts');
    const { parseVersionArgument } = await import('../../core/version/tags.ts');
    assert.deepEqual(['1.0.0b1', '1.0.0rc2', '1.0.0a1', '1.0.0-beta1', '1.0.0', '1.0.0.dev1', '1.0'].map(fromPep440), [
      '1.0.0-beta.1',
      '1.0.0-rc.2',
      '1.0.0-alpha.1',
      '1.0.0-beta.1',
      '1.0.0',
      null,
      null,
    ]);
    assert.equal(parseVersionArgument('v1.0.0b1', 'v'), '1.0.0-beta.1');
    assert.equal(parseVersionArgument('refs/tags/v2.1.0rc1', 'v'), '2.1.0-rc.1');
  });
});
