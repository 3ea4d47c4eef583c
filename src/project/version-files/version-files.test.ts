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
