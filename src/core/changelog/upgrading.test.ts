import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headingAnchor, mergeUpgrading, upgradingHeading } from './upgrading.ts';

const items = [
  {
    subject: 'rename server.ssl_mode to server.tls.mode',
    scope: 'config',
    notes: ['Automatic migration handles this. No action needed.'],
  },
  {
    subject: 'remove POST /api/v1/sites',
    scope: 'api',
    notes: ['Update any automation scripts to use the v2 endpoint.'],
  },
];

describe('UPGRADING.md', () => {
  it('a new major (or a new 0.x minor) opens a section; other releases none', () => {
    assert.equal(upgradingHeading('2.0.0', '1.4.2'), '## Upgrading from v1.x to v2.0');
    assert.equal(upgradingHeading('2.0.0-beta.1', '1.4.2'), '## Upgrading from v1.x to v2.0');
    assert.equal(upgradingHeading('0.3.0', '0.2.5'), '## Upgrading from v0.2.x to v0.3');
    assert.equal(upgradingHeading('1.5.0', '1.4.2'), null);
    assert.equal(upgradingHeading('1.0.0', null), null);
    assert.equal(headingAnchor('## Upgrading from v1.x to v2.0'), 'upgrading-from-v1x-to-v20');
  });

  it("writes the panel strategy's shape, and completes a hand-edited section without losing a line", () => {
    const first = mergeUpgrading(null, '## Upgrading from v1.x to v2.0', items.slice(0, 1), [
      'Run `aipanel update` — migrations apply automatically.',
      'Verify with `aipanel doctor`.',
    ]);
    assert.equal(
      first.text,
      [
        '# Upgrading',
        '',
        'How to move from one major version to the next. Read each section between the version you run and the one you go to.',
        '',
        '## Upgrading from v1.x to v2.0',
        '',
        '### Breaking changes',
        '',
        '1. **config: rename server.ssl_mode to server.tls.mode**',
        '   - Automatic migration handles this. No action needed.',
        '',
        '### Migration steps',
        '',
        '1. Run `aipanel update` — migrations apply automatically.',
        '2. Verify with `aipanel doctor`.',
        '',
      ].join('\n'),
    );
    const edited = first.text.replace(
      'No action needed.',
      'No action needed.\n   - Hand-written: check your reverse proxy too.',
    );
    const again = mergeUpgrading(edited, '## Upgrading from v1.x to v2.0', items, []);
    assert.ok(again.changed);
    assert.match(
      again.text,
      /Hand-written: check your reverse proxy too\.\n\n2\. \*\*api: remove POST \/api\/v1\/sites\*\*\n   - Update any automation/,
    );
    assert.match(again.text, /### Migration steps\n\n1\. Run/);
    assert.deepEqual(mergeUpgrading(again.text, '## Upgrading from v1.x to v2.0', items, []), {
      text: again.text,
      changed: false,
    });
    const bare = '# Upgrading\n\n## Upgrading from v1.x to v2.0\n\nHand-written intro.\n';
    const withSteps = mergeUpgrading(bare, '## Upgrading from v1.x to v2.0', [], ['Run `aipanel doctor`.']);
    assert.ok(withSteps.changed);
    assert.match(withSteps.text, /Hand-written intro\.\n\n### Migration steps\n\n1\. Run `aipanel doctor`\.\n$/);
    const older = mergeUpgrading(again.text, '## Upgrading from v2.x to v3.0', items.slice(1), []);
    assert.ok(older.text.indexOf('v2.x to v3.0') < older.text.indexOf('v1.x to v2.0'), 'the newest section first');
  });
});
