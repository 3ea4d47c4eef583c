import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlipwayError } from '../errors.ts';
import { parseBlock, parseChangelog, serializeChangelog } from './document.ts';

const KAC = `# Changelog

Intro written by a person.

## [Unreleased]

### Added

- a thing someone wrote by hand

## [1.1.0] - 2026-02-01

### Fixed

- **api:** handle empty body ([abc1234](https://example.com/commit/abc1234))

## 1.0.0 (2026-01-01)

Initial release.

[unreleased]: https://example.com/compare/v1.1.0...HEAD
[1.1.0]: https://example.com/compare/v1.0.0...v1.1.0
[other]: https://example.com/elsewhere
`;

describe('parseChangelog', () => {
  it('finds the preamble, release blocks and trailing link definitions', () => {
    const doc = parseChangelog(KAC);
    assert.deepEqual(doc.preamble, ['# Changelog', '', 'Intro written by a person.', '']);
    assert.deepEqual(
      doc.blocks.map((b) => (b.kind === 'release' ? [b.version, b.date] : [b.kind])),
      [
        [null, null],
        ['1.1.0', '2026-02-01'],
        ['1.0.0', '2026-01-01'],
      ],
    );
    assert.equal(doc.linkDefinitions.length, 3);
  });

  it('gives an unchanged document back byte for byte', () => {
    assert.equal(serializeChangelog(parseChangelog(KAC)), KAC);
  });

  it('recognises conventional-changelog and plain headings', () => {
    const doc = parseChangelog(
      '# [2.0.0](https://x/compare/v1.0.0...v2.0.0) (2026-03-01)\n\n* feat\n\n## v1.0.0 - 2026-01-01\n',
    );
    assert.deepEqual(
      doc.blocks.map((b) => (b.kind === 'release' ? b.version : null)),
      ['2.0.0', '1.0.0'],
    );
  });

  it('keeps headings inside code fences as text', () => {
    const doc = parseChangelog('## [1.0.0]\n\n```md\n## [0.9.0]\n```\n');
    assert.equal(doc.blocks.length, 1);
  });

  it('keeps "##" blocks it does not understand', () => {
    const text = '# Log\n\n## Old history\n\nStuff.\n';
    const doc = parseChangelog(text);
    assert.deepEqual(
      doc.blocks.map((b) => b.kind),
      ['other'],
    );
    assert.equal(serializeChangelog(doc), text);
  });

  it('refuses two sections for one version', () => {
    assert.throws(
      () => parseChangelog('## [1.0.0]\n\n## 1.0.0\n'),
      (e: SlipwayError) => e.code === 'CHANGELOG_DUPLICATE_VERSION',
    );
  });

  it('round-trips any text made of lines without losing a byte (but CRs and the final newline)', () => {
    const line = fc.oneof(
      fc.constantFrom(
        '## [1.0.0] - 2026-01-01',
        '## [Unreleased]',
        '### Added',
        '- item',
        '```',
        '[x]: http://x',
        '',
        '## Notes',
      ),
      fc.string().map((s) => s.replace(/[\r\n]/g, '')),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        let doc;
        try {
          doc = parseChangelog(text);
        } catch (error) {
          assert.equal((error as SlipwayError).code, 'CHANGELOG_DUPLICATE_VERSION');
          return;
        }
        const out = serializeChangelog(doc);
        // Blank lines before the link definitions are normalised; every other line survives, in order.
        assert.deepEqual(
          out.split('\n').filter((l) => l.trim() !== ''),
          text.split('\n').filter((l) => l.trim() !== ''),
        );
      }),
    );
  });
});

describe('parseBlock', () => {
  it('splits sections into items, with continuation lines and the commit each names', () => {
    const b = parseBlock([
      '',
      '### Changed',
      '',
      '- **BREAKING** rename ([abc1234](https://x/commit/abc1234))',
      '',
      '  Migration text.',
      '- plain (def5678)',
      '- by hand',
      '',
      '### Notes',
      '',
      'Free text.',
    ]);
    assert.deepEqual(b.sections, [
      {
        title: 'Changed',
        items: [
          { text: '- **BREAKING** rename ([abc1234](https://x/commit/abc1234))\n\n  Migration text.', sha: 'abc1234' },
          { text: '- plain (def5678)', sha: 'def5678' },
          { text: '- by hand', sha: null },
        ],
      },
      { title: 'Notes', items: [{ text: 'Free text.', sha: null }] },
    ]);
  });
});
