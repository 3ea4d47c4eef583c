import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAffected, openRange, rangesFromReleases, isEmbargoed, nextAdvisoryId, rangesFromText } from './osv.ts';

describe('OSV ranges', () => {
  it('reads ranges people write', () => {
    assert.deepEqual(rangesFromText('<1.4.3'), [[{ introduced: '0' }, { fixed: '1.4.3' }]]);
    assert.deepEqual(rangesFromText('>=2.0.0 <2.1.1 || >=1.2.0 <1.4.3'), [
      [{ introduced: '1.2.0' }, { fixed: '1.4.3' }],
      [{ introduced: '2.0.0' }, { fixed: '2.1.1' }],
    ]);
    assert.deepEqual(rangesFromText('<=1.4.2'), [[{ introduced: '0' }, { last_affected: '1.4.2' }]]);
    assert.throws(() => rangesFromText('>=1.4.3 <1.4.3'), /is empty/);
  });

  it('computes one range per fixed line', () => {
    // 1.4.x and 2.0.x fixed, main (2.1.0) not yet: it stays affected, in a range of its own.
    const fixed = new Set(['1.4.1', '2.0.1', '2.1.1']);
    const versions = ['1.0.0', '1.2.0', '1.4.0', '1.4.1', '2.0.0', '2.0.1', '2.1.0'];
    const vulnerable = (v: string) => v !== '1.0.0' && !fixed.has(v);
    assert.deepEqual(rangesFromReleases(versions, vulnerable), [
      [{ introduced: '1.2.0' }, { fixed: '1.4.1' }],
      [{ introduced: '2.0.0' }, { fixed: '2.0.1' }],
      [{ introduced: '2.1.0' }],
    ]);
    const open = {
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x' },
          ranges: rangesFromReleases(versions, vulnerable).map((events) => ({ type: 'SEMVER' as const, events })),
        },
      ],
    };
    assert.equal(openRange(open), true);
    assert.equal(isAffected(open, '2.0.1'), false);
    assert.deepEqual(rangesFromReleases([...versions, '2.1.1'], vulnerable).at(-1), [
      { introduced: '2.1.0' },
      { fixed: '2.1.1' },
    ]);
    const adv = {
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x' },
          ranges: [{ type: 'SEMVER' as const, events: [{ introduced: '0' }, { last_affected: '1.4.2' }] }],
        },
      ],
    };
    assert.equal(isAffected(adv, '1.4.2'), true);
    assert.equal(isAffected(adv, '1.4.3'), false);
  });

  it('numbers ids per year, and knows an embargo', () => {
    assert.equal(
      nextAdvisoryId('AIPANEL-SA', 2026, ['AIPANEL-SA-2026-009', 'AIPANEL-SA-2025-020']),
      'AIPANEL-SA-2026-010',
    );
    const now = new Date('2026-12-02T00:00:00Z');
    const ds = { severity: 'high' as const, disclosed: '2026-12-03T00:00:00Z' };
    assert.equal(isEmbargoed({ database_specific: ds }, now), true, 'never published');
    assert.equal(
      isEmbargoed({ published: '2026-12-01T00:00:00Z', database_specific: ds }, now),
      true,
      'disclosed later',
    );
    assert.equal(
      isEmbargoed({ published: '2026-12-01T00:00:00Z', database_specific: { ...ds, disclosed: null } }, now),
      false,
    );
  });
});
