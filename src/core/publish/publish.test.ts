import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announcementText, webhookPayload } from './announce.ts';
import { forgeRepository, giteaApi, githubReleaseParams, gitlabApi, planAssets, releaseTitle } from './forge.ts';
import {
  checkDistribution,
  distributionOf,
  parseCoreMetadata,
  parseSimpleIndex,
  simpleIndexOf,
  uploadFields,
  oidcBaseOf,
} from './pypi.ts';

const METADATA = `Metadata-Version: 2.1
Name: aiogram-sentinel
Version: 1.3.0b2
Summary: Rate limiting for aiogram
Classifier: Programming Language :: Python :: 3
Classifier: Framework :: AsyncIO
Requires-Dist: aiogram>=3
Project-URL: Source, https://github.com/acme/sentinel
Description-Content-Type: text/markdown

# aiogram-sentinel

Guards your bot.
`;

describe('core metadata and the legacy upload form (as twine and Warehouse read them)', () => {
  it('parses headers, repeated fields and the body, and folded 1.x descriptions', () => {
    const m = parseCoreMetadata(METADATA);
    assert.equal(m.headers.filter(([k]) => k === 'Classifier').length, 2);
    assert.equal(m.body, '# aiogram-sentinel\n\nGuards your bot.');
    const old = parseCoreMetadata('Metadata-Version: 1.1\nName: x\nVersion: 1.0\nDescription: first\n        second\n');
    assert.deepEqual(old.headers.at(-1), ['Description', 'first\nsecond']);
  });

  it('reads wheel and sdist file names', () => {
    assert.deepEqual(distributionOf('aiogram_sentinel-1.3.0b2-py3-none-any.whl'), {
      filetype: 'bdist_wheel',
      pyversion: 'py3',
      name: 'aiogram_sentinel',
      version: '1.3.0b2',
    });
    assert.deepEqual(
      distributionOf('aiogram_sentinel-1.3.0b2-1-cp312-cp312-manylinux_2_17_x86_64.whl')?.pyversion,
      'cp312',
    );
    assert.deepEqual(distributionOf('aiogram_sentinel-1.3.0b2.tar.gz'), {
      filetype: 'sdist',
      pyversion: 'source',
      name: 'aiogram_sentinel',
      version: '1.3.0b2',
    });
    assert.equal(distributionOf('panel-linux-amd64'), null);
  });

  it('checks the version against the release in PEP 440 spelling, and name and version against the file name', () => {
    const m = parseCoreMetadata(METADATA);
    assert.deepEqual(checkDistribution('aiogram_sentinel-1.3.0b2-py3-none-any.whl', m, '1.3.0-beta.2'), {
      errors: [],
      warnings: [],
    });
    assert.match(
      checkDistribution('aiogram_sentinel-1.3.0b2-py3-none-any.whl', m, '1.3.0').errors[0]!,
      /the metadata says version 1\.3\.0b2, and the release is 1\.3\.0 \(1\.3\.0 in PEP 440\)/,
    );
    assert.match(
      checkDistribution('other-1.3.0b2-py3-none-any.whl', m, '1.3.0-beta.2').errors[0]!,
      /the file name says project other, and the metadata says aiogram-sentinel/,
    );
    assert.match(checkDistribution('x-1.0.tar.gz', null, '1.0.0').errors[0]!, /has no <name>-<version>\/PKG-INFO/);
    const bare = parseCoreMetadata('Metadata-Version: 9.9\nName: x\n');
    assert.deepEqual(checkDistribution('x-1.0.0.tar.gz', bare, '1.0.0').errors, [
      'x-1.0.0.tar.gz: Metadata-Version 9.9 is not one an index knows',
      'x-1.0.0.tar.gz: the metadata has no Version',
    ]);
    const rst = parseCoreMetadata('Metadata-Version: 2.1\nName: x\nVersion: 1.0.0\n\nText\n');
    assert.match(checkDistribution('x-1.0.0.tar.gz', rst, '1.0.0').warnings[0]!, /no Description-Content-Type/);
  });

  it('reads header names in any case (core metadata is case-insensitive)', () => {
    const m = parseCoreMetadata('metadata-version: 2.1\nname: fx-lib\nversion: 0.5.0\n\nbody\n');
    assert.deepEqual(checkDistribution('fx_lib-0.5.0-py3-none-any.whl', m, '0.5.0').errors, []);
  });

  it('builds the form fields Warehouse reads, repeated ones repeated', () => {
    const m = parseCoreMetadata(METADATA);
    const fields = uploadFields(m, distributionOf('aiogram_sentinel-1.3.0b2-py3-none-any.whl')!, {
      sha256: 'a'.repeat(64),
      md5: 'b'.repeat(32),
    });
    const get = (k: string) => fields.filter(([n]) => n === k).map(([, v]) => v);
    assert.deepEqual(get(':action'), ['file_upload']);
    assert.deepEqual(get('protocol_version'), ['1']);
    assert.deepEqual(get('metadata_version'), ['2.1']);
    assert.deepEqual(get('classifiers'), ['Programming Language :: Python :: 3', 'Framework :: AsyncIO']);
    assert.deepEqual(get('requires_dist'), ['aiogram>=3']);
    assert.deepEqual(get('project_urls'), ['Source, https://github.com/acme/sentinel']);
    assert.deepEqual(get('description_content_type'), ['text/markdown']);
    assert.deepEqual(get('description'), ['# aiogram-sentinel\n\nGuards your bot.']);
    assert.deepEqual(get('pyversion'), ['py3']);
  });

  it('finds the simple index and the trusted-publishing host of PyPI, TestPyPI and a private index', () => {
    assert.equal(simpleIndexOf('https://upload.pypi.org/legacy/', null), 'https://pypi.org/simple/');
    assert.equal(simpleIndexOf('https://test.pypi.org/legacy/', null), 'https://test.pypi.org/simple/');
    assert.equal(simpleIndexOf('https://pypi.example.com/repo/legacy/', null), 'https://pypi.example.com/repo/simple/');
    assert.equal(simpleIndexOf('https://x/legacy/', 'https://y/simple'), 'https://y/simple/');
    assert.equal(oidcBaseOf('https://upload.pypi.org/legacy/'), 'https://pypi.org/');
    assert.deepEqual(
      parseSimpleIndex(
        '<a href="https://files/x-1.0.tar.gz#sha256=' +
          'A'.repeat(64) +
          '" data-requires-python="&gt;=3.8">x-1.0.tar.gz</a><a href="../x-1.0-py3-none-any.whl">x-1.0-py3-none-any.whl</a>',
      ),
      [
        { filename: 'x-1.0.tar.gz', sha256: 'a'.repeat(64) },
        { filename: 'x-1.0-py3-none-any.whl', sha256: null },
      ],
    );
  });
});

describe('forge requests (the documented REST shapes)', () => {
  it('names the repository from the setting or the web address', () => {
    assert.equal(forgeRepository(null, 'https://github.com/acme/panel.git'), 'acme/panel');
    assert.equal(forgeRepository(null, 'https://gitlab.example.com/group/sub/panel'), 'group/sub/panel');
    assert.equal(forgeRepository('/acme/x/', undefined), 'acme/x');
    assert.equal(forgeRepository(null, 'https://example.com/'), null);
    assert.equal(
      releaseTitle('{project} {tag}', { project: 'aiPanel', version: '1.0.0', tag: 'v1.0.0' }),
      'aiPanel v1.0.0',
    );
  });

  it('GitHub parameters: prerelease for betas, latest only for stable', () => {
    const text = { tag: 'v1.0.0-beta.1', name: 'n', body: 'b', prerelease: true };
    assert.deepEqual(githubReleaseParams('acme/panel', text), {
      owner: 'acme',
      repo: 'panel',
      tag_name: 'v1.0.0-beta.1',
      name: 'n',
      body: 'b',
      prerelease: true,
      draft: false,
      make_latest: 'false',
    });
    assert.equal(githubReleaseParams('acme/panel', { ...text, prerelease: false }).make_latest, 'true');
  });

  it('GitLab paths encode the project path as one segment; Gitea paths per owner and repo', () => {
    const text = { tag: 'v1.0.0', name: 'n', body: 'b', prerelease: false };
    assert.deepEqual(gitlabApi.createRelease('group/sub/panel', text), {
      method: 'POST',
      path: '/projects/group%2Fsub%2Fpanel/releases',
      json: { tag_name: 'v1.0.0', name: 'n', description: 'b' },
    });
    assert.equal(
      gitlabApi.packageFile('group/panel', 'panel', '1.0.0', 'a b.tar.gz').path,
      '/projects/group%2Fpanel/packages/generic/panel/1.0.0/a%20b.tar.gz?select=package_file',
    );
    assert.deepEqual(gitlabApi.addLink('42', 'v1.0.0', { name: 'x.tar.gz', url: 'https://u' }).json, {
      name: 'x.tar.gz',
      url: 'https://u',
      direct_asset_path: '/x.tar.gz',
      link_type: 'package',
    });
    assert.deepEqual(giteaApi.createRelease('acme/panel', { ...text, prerelease: true }), {
      method: 'POST',
      path: '/repos/acme/panel/releases',
      json: { tag_name: 'v1.0.0', name: 'n', body: 'b', prerelease: true, draft: false },
    });
    assert.equal(
      giteaApi.uploadAsset('acme/panel', 7, 'SHA256SUMS').path,
      '/repos/acme/panel/releases/7/assets?name=SHA256SUMS',
    );
  });

  it('plans assets: missing uploaded, same kept, broken-off replaced, other bytes refused', () => {
    const plan = planAssets(
      [
        { name: 'same', size: 3, sha256: 'aaa', complete: true },
        { name: 'broken', size: 0, sha256: null, complete: false },
        { name: 'other', size: 3, sha256: 'zzz', complete: true },
      ],
      [
        { name: 'same', size: 3, sha256: 'aaa' },
        { name: 'broken', size: 5, sha256: 'bbb' },
        { name: 'other', size: 3, sha256: 'ccc' },
        { name: 'new', size: 1, sha256: 'ddd' },
      ],
    );
    assert.deepEqual(plan.upload, ['new']);
    assert.deepEqual(plan.keep, ['same']);
    assert.deepEqual(plan.replace, ['broken']);
    assert.equal(plan.conflicts.length, 1);
    assert.match(plan.conflicts[0]!, /^other \(attached: 3 bytes, sha256 zzz…; this build: 3 bytes, sha256 ccc…\)$/);
  });
});

describe('announcements', () => {
  const a = {
    project: 'aiPanel',
    version: '1.4.2',
    channel: 'stable',
    url: 'https://github.com/acme/panel/releases/tag/v1.4.2',
    security: { severity: 'high' },
    breaking: false,
    notes: '# aiPanel 1.4.2\n\n## Security\n\n- escape the log viewer\n\nSome prose.\n',
  };
  it('says security first, the summary of the notes, and the link', () => {
    assert.equal(
      announcementText(a),
      ':rotating_light: Security release (high): aiPanel 1.4.2 is out on stable\n*Security*\n- escape the log viewer\nhttps://github.com/acme/panel/releases/tag/v1.4.2',
    );
    assert.deepEqual(Object.keys(webhookPayload('slack', a)), ['text']);
    assert.deepEqual(Object.keys(webhookPayload('mattermost', a)), ['text']);
    const long = webhookPayload('discord', { ...a, notes: `- ${'x'.repeat(3000)}\n` }).content as string;
    assert.ok(long.length <= 2000);
  });
});
