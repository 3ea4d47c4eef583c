import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCommit, splitFooters } from './parse.ts';
import type { RawCommit } from './types.ts';

const raw = (subject: string, body = '', parents: string[] = ['p1']): RawCommit => ({
  sha: 'a'.repeat(40),
  parents,
  time: 0,
  subject,
  body,
});

describe('parseCommit', () => {
  describe('the header', () => {
    it('reads type, scope and description', () => {
      const c = parseCommit(raw('feat(sites): add bulk domain import'));
      assert.deepEqual(
        [c.conventional, c.type, c.scope, c.subject, c.breaking],
        [true, 'feat', 'sites', 'add bulk domain import', false],
      );
    });
    it('reads a header without scope', () => {
      const c = parseCommit(raw('fix: correct timezone handling'));
      assert.deepEqual([c.type, c.scope, c.subject], ['fix', null, 'correct timezone handling']);
    });
    it('treats the type case-insensitively (spec rule 15)', () => {
      assert.equal(parseCommit(raw('FEAT: shout')).type, 'feat');
    });
    it('marks `!` as breaking', () => {
      const c = parseCommit(raw('feat(api)!: drop v1 endpoints'));
      assert.deepEqual([c.type, c.scope, c.breaking], ['feat', 'api', true]);
    });
    it("reads the server panel strategy's BREAKING(config): form as breaking", () => {
      const c = parseCommit(raw('BREAKING(config): rename ssl_mode to tls.mode'));
      assert.deepEqual(
        [c.type, c.scope, c.breaking, c.subject],
        ['breaking', 'config', true, 'rename ssl_mode to tls.mode'],
      );
    });
    it('leaves a plain message non-conventional', () => {
      for (const s of ['Update README', 'feat add thing', 'feat(: broken', ': nothing', 'WIP']) {
        const c = parseCommit(raw(s));
        assert.equal(c.conventional, false, s);
        assert.equal(c.type, null);
        assert.equal(c.subject, s);
      }
    });
    it('keeps unicode and very long descriptions whole', () => {
      const long = `fix(ünï): ${'ç'.repeat(5000)} 🚀`;
      const c = parseCommit(raw(long));
      assert.equal(c.scope, 'ünï');
      assert.equal(c.subject, `${'ç'.repeat(5000)} 🚀`);
    });
    it('finds issue and PR references in the subject', () => {
      const c = parseCommit(raw('feat: add import (#123) and see other/repo#9'));
      assert.deepEqual(c.references, [
        { repository: null, issue: '123', action: null },
        { repository: 'other/repo', issue: '9', action: null },
      ]);
    });
  });

  describe('footers', () => {
    it('reads a multi-line BREAKING CHANGE', () => {
      const c = parseCommit(
        raw(
          'refactor: new config loader',
          'Some body text.\n\nBREAKING CHANGE: `ssl_mode` is now `tls.mode`.\nRun the migration.\n\nAnd a second paragraph.\nRefs: #12',
        ),
      );
      assert.equal(c.breaking, true);
      assert.deepEqual(c.breakingNotes, [
        '`ssl_mode` is now `tls.mode`.\nRun the migration.\n\nAnd a second paragraph.',
      ]);
      assert.equal(c.body, 'Some body text.');
      assert.deepEqual(c.references, [{ repository: null, issue: '12', action: 'refs' }]);
    });
    it('accepts BREAKING-CHANGE as a synonym', () => {
      const c = parseCommit(raw('fix: x', 'BREAKING-CHANGE: gone'));
      assert.deepEqual([c.breaking, c.breakingNotes], [true, ['gone']]);
    });
    it('reads `Closes #N` in the "token #value" form', () => {
      const c = parseCommit(raw('fix: x', 'Closes #77\nFixes #78, #79'));
      assert.deepEqual(
        c.references.map((r) => [r.issue, r.action]),
        [
          ['77', 'closes'],
          ['78', 'fixes'],
          ['79', 'fixes'],
        ],
      );
    });
    it('reads Release-As and Deprecated', () => {
      const c = parseCommit(raw('chore: release', 'Release-As: 1.0.0\nDeprecated: the v1 API goes in 2.0'));
      assert.equal(c.releaseAs, '1.0.0');
      assert.deepEqual(c.deprecations, ['the v1 API goes in 2.0']);
    });
    it('does not take body text for footers when no paragraph starts with a token', () => {
      const { text, footers } = splitFooters('Line one\nsee: this is prose in the middle of a paragraph');
      assert.equal(footers.length, 0);
      assert.match(text, /prose/);
    });
  });

  describe('reverts', () => {
    it('reads git\'s own Revert "…" with the sha from the body', () => {
      const c = parseCommit(
        raw('Revert "feat: add import"', 'This reverts commit 0123456789abcdef0123456789abcdef01234567.'),
      );
      assert.deepEqual(
        [c.type, c.subject, c.reverts],
        ['revert', 'feat: add import', '0123456789abcdef0123456789abcdef01234567'],
      );
    });
    it('reads revert: with a Refs footer', () => {
      const c = parseCommit(raw('revert: let us never again speak of the noodle incident', 'Refs: 676104e, a215868'));
      assert.equal(c.reverts, null, 'two shas are not one revert target');
      assert.equal(parseCommit(raw('revert: noodle', 'Refs: 676104e')).reverts, '676104e');
    });
  });

  it('flags merge commits', () => {
    assert.equal(parseCommit(raw('Merge pull request #12 from a/b', '', ['p1', 'p2'])).merge, true);
  });

  describe('properties', () => {
    const type = fc.stringMatching(/^[a-z][a-z0-9]{0,9}$/);
    const scope = fc.option(fc.stringMatching(/^[a-z0-9_./-]{1,12}$/), { nil: null });
    const description = fc
      .string({ minLength: 1, maxLength: 80 })
      .filter((s) => !/[\r\n]/.test(s) && s.trim() === s && s !== '');
    it('reads back any header it could have been given', () => {
      fc.assert(
        fc.property(type, scope, fc.boolean(), description, (t, s, bang, d) => {
          const c = parseCommit(raw(`${t}${s === null ? '' : `(${s})`}${bang ? '!' : ''}: ${d}`));
          assert.equal(c.conventional, true);
          assert.equal(c.type, t);
          assert.equal(c.scope, s);
          assert.equal(c.subject, d);
          assert.equal(c.breaking, bang || t === 'breaking');
        }),
      );
    });
    it('never throws, whatever the message', () => {
      fc.assert(
        fc.property(fc.string(), fc.string(), (subject, body) => {
          const c = parseCommit(raw(subject, body));
          assert.equal(typeof c.conventional, 'boolean');
        }),
      );
    });
  });
});

describe('headers as large projects write them', () => {
  it('reads two (or more) spaces after the colon as conventional', () => {
    const c = parseCommit({
      sha: 'a'.repeat(40),
      parents: [],
      time: 0,
      subject: 'fix(scope):  text with two spaces',
      body: '',
    });
    assert.deepEqual([c.conventional, c.type, c.scope, c.subject], [true, 'fix', 'scope', 'text with two spaces']);
  });
});
