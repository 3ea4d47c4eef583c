import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlipwayError } from '../errors.ts';
import { defaultConfig, parseConfig } from './parse.ts';
import { configJsonSchema } from './schema.ts';

function problems(text: string): { code: string; details: readonly string[] } {
  try {
    void parseConfig(text);
  } catch (error) {
    assert.ok(error instanceof SlipwayError);
    return { code: error.code as string, details: error.details };
  }
  assert.fail('expected the config to be refused');
}

describe('parseConfig', () => {
  it('gives the defaults for an empty object', () => {
    const c = parseConfig('{}');
    assert.equal(c.tagPrefix, 'v');
    assert.deepEqual(c.channels, ['nightly', 'beta', 'stable']);
    assert.equal(c.stableChannel, 'stable');
    assert.equal(c.changelog.file, 'CHANGELOG.md');
    assert.deepEqual(c.types.feat, { section: 'Added', bump: 'minor' });
    assert.deepEqual(c, defaultConfig());
  });

  it('allows comments and trailing commas', () => {
    const c = parseConfig('// strategy\n{\n  /* prefix */ "tagPrefix": "release-", // here\n}\n');
    assert.equal(c.tagPrefix, 'release-');
  });

  it('merges a type override field by field over the defaults', () => {
    const c = parseConfig(
      '{"types": {"feat": {"bump": "patch"}, "docs": {"section": "Documentation"}, "wip": {"section": null, "bump": null}}}',
    );
    assert.deepEqual(c.types.feat, { section: 'Added', bump: 'patch' });
    assert.deepEqual(c.types.docs, { section: 'Documentation', bump: null });
    assert.deepEqual(c.types.wip, { section: null, bump: null });
  });

  it('reports every problem at once, each with its path', () => {
    const p = problems(
      JSON.stringify({
        tagPrefx: 'v',
        repository: 'ftp://example.com/x',
        initialVersion: 'v1',
        channels: ['Beta', 'stable'],
        types: { feat: { bump: 'huge' } },
        changelog: { file: 3 },
        versionFiles: [{ path: 'a', type: 'gradle' }],
      }),
    );
    assert.equal(p.code, 'CONFIG_INVALID');
    assert.deepEqual(p.details, [
      'repository: expected an http(s) web address such as https://github.com/owner/repo (got "ftp://example.com/x")',
      'initialVersion: expected a semantic version such as 1.2.3 (no "v" prefix) (got "v1")',
      'channels[0]: expected a lower-case channel name such as "beta" (got "Beta")',
      'types.feat.bump: Invalid option: expected one of "major"|"minor"|"patch" (got "huge")',
      'changelog.file: Invalid input: expected string, received number (got number 3)',
      'versionFiles[0].type: Invalid option: expected one of "package-json"|"pyproject"|"cargo"|"python"|"marker" (got "gradle")',
      '(top level): unknown key "tagPrefx" (check the spelling; see the JSON Schema for the allowed keys)',
    ]);
  });

  it('reports JSON syntax errors with line and column', () => {
    const p = problems('{\n  "tagPrefix": "v",\n  "channels": [nightly]\n}');
    assert.equal(p.code, 'CONFIG_SYNTAX');
    assert.match(p.details[0]!, /^slipway\.json:3:\d+: /);
  });

  it('refuses a top level that is not an object', () => {
    assert.equal(problems('[]').code, 'CONFIG_INVALID');
  });

  it('never throws anything but a SlipwayError, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        try {
          parseConfig(text);
        } catch (error) {
          assert.ok(error instanceof SlipwayError, String(error));
        }
      }),
    );
  });
});

describe('the JSON Schema', () => {
  it('matches schema/slipway.schema.json (run npm run schema after changing the config)', () => {
    const shipped: unknown = JSON.parse(
      readFileSync(new URL('../../../schema/slipway.schema.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(shipped, configJsonSchema());
  });
  it('describes every top-level key and forbids unknown ones', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      '$schema',
      'cadence',
      'calendar',
      'changelog',
      'channels',
      'deprecation',
      'deps',
      'feed',
      'initialVersion',
      'lifecycle',
      'links',
      'name',
      'notes',
      'release',
      'repository',
      'security',
      'tagPrefix',
      'types',
      'upgrading',
      'versionFiles',
    ]);
    assert.equal(schema.additionalProperties, false);
  });
});
