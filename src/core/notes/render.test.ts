import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlipwayError } from '../errors.ts';
import { DEFAULT_NOTES_TEMPLATE } from './default-template.ts';
import { fillPlaceholders, renderNotes, sectionsFromBlock, type NotesContext } from './render.ts';

const context: NotesContext = {
  name: 'aiogram-sentinel',
  version: '1.0.0',
  tag: 'v1.0.0',
  date: '2026-11-22',
  previousVersion: '0.2.1',
  channel: 'stable',
  prerelease: false,
  breaking: true,
  security: false,
  severity: null,
  advisory: null,
  highlights: ['**BREAKING** stable API', 'token bucket rate limiting'],
  sections: [
    { title: 'Added', entries: ['token bucket rate limiting', 'Redis Cluster backend'] },
    { title: 'Changed', entries: ['**BREAKING** stable API\n\n  Rename `limit` to `rate`.'] },
  ],
  breakingChanges: ['**BREAKING** stable API\n\n  Rename `limit` to `rate`.'],
  migrationGuide: 'docs/migration-guides/v0.2.0-to-v1.0.0.md',
  install: 'pip install aiogram-sentinel==1.0.0',
  compareUrl: 'https://github.com/o/r/compare/v0.2.1...v1.0.0',
  links: [{ label: 'PyPI Package', url: 'https://pypi.org/project/aiogram-sentinel/' }],
};

describe('renderNotes', () => {
  it('names the severity and the advisory of a security release', () => {
    const md = renderNotes(
      DEFAULT_NOTES_TEMPLATE,
      { ...context, security: true, severity: 'high', advisory: 'GHSA-abcd-efgh-ijkm' },
      'default',
    );
    assert.match(
      md,
      /> \*\*Security release \(high, GHSA-abcd-efgh-ijkm\)\.\*\* Upgrading is recommended for everyone\./,
    );
  });

  it("follows the library strategy's template by default", () => {
    assert.equal(
      renderNotes(DEFAULT_NOTES_TEMPLATE, context),
      `# aiogram-sentinel v1.0.0

## 🎉 What's New

- **BREAKING** stable API
- token bucket rate limiting

## 🔧 Changes

### Added

- token bucket rate limiting
- Redis Cluster backend

### Changed

- **BREAKING** stable API

  Rename \`limit\` to \`rate\`.

## 🚀 Migration Guide

See [Migration Guide](docs/migration-guides/v0.2.0-to-v1.0.0.md) for detailed upgrade instructions.

- **BREAKING** stable API

  Rename \`limit\` to \`rate\`.

## 📦 Installation

\`\`\`bash
pip install aiogram-sentinel==1.0.0
\`\`\`

## 🔗 Links

- [PyPI Package](https://pypi.org/project/aiogram-sentinel/)
`,
    );
  });

  it('flags prereleases and security releases, and says when nothing user-facing changed', () => {
    const out = renderNotes(DEFAULT_NOTES_TEMPLATE, {
      ...context,
      prerelease: true,
      channel: 'beta',
      security: true,
      breaking: false,
      highlights: [],
      sections: [],
      breakingChanges: [],
      install: null,
      links: [],
    });
    assert.equal(
      out,
      '# aiogram-sentinel v1.0.0\n\n> This is a prerelease on the **beta** channel.\n\n> **Security release.** Upgrading is recommended for everyone.\n\n## 🔧 Changes\n\nNo user-facing changes.\n',
    );
  });

  it('does not HTML-escape markdown', () => {
    assert.equal(
      renderNotes('{{name}} {{#each links}}{{url}}{{/each}}', {
        ...context,
        name: 'a<b>&c',
        links: [{ label: 'x', url: 'https://x/?a=1&b=2' }],
      }),
      'a<b>&c https://x/?a=1&b=2\n',
    );
  });

  it('reports a broken template with a clear error', () => {
    assert.throws(
      () => renderNotes('{{#each sections}}', context, 'notes.hbs'),
      (e: SlipwayError) => e.code === 'TEMPLATE_ERROR' && e.message.startsWith('notes.hbs cannot be rendered'),
    );
  });
});

describe('sectionsFromBlock', () => {
  it('keeps multi-line entries whole', () => {
    assert.deepEqual(
      sectionsFromBlock(['', '### Changed', '', '- **BREAKING** x (abc1234)', '', '  Migrate.', '- y (def5678)']),
      [{ title: 'Changed', entries: ['**BREAKING** x (abc1234)\n\n  Migrate.', 'y (def5678)'] }],
    );
  });
});

describe('fillPlaceholders', () => {
  it('fills known placeholders and leaves the rest', () => {
    assert.equal(
      fillPlaceholders('pip install x=={{ version }} {{other}}', { version: '1.0.0' }),
      'pip install x==1.0.0 {{other}}',
    );
  });
});
