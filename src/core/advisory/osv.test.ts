import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeRanges, isAffected, isEmbargoed, nextAdvisoryId, rangesFromText } from './osv.ts';

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
    const start = (v: string) => `${v.split('.')[0]}.0.0`;
    assert.deepEqual(computeRanges('1.4.0', ['2.1.1', '1.4.3'], start), [
      [{ introduced: '1.4.0' }, { fixed: '1.4.3' }],
      [{ introduced: '2.0.0' }, { fixed: '2.1.1' }],
    ]);
    assert.deepEqual(computeRanges(null, [], start), [[{ introduced: '0' }]]);
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
