import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cadenceChecks, calendarMarkdown, calendarRows, parseTarget } from './calendar.ts';
import { lifecycleMarkdown, lifecycleTable, lineOf, unknownEolLines, type LifecyclePolicy } from './lifecycle.ts';

const policy: LifecyclePolicy = { supportMonths: 12, securityLines: null, line: 'major', eol: {} };
const released = [
  { version: '0.1.0', date: '2024-01-10' },
  { version: '0.1.1', date: '2024-02-01' },
  { version: '0.2.0', date: '2024-06-01' },
  { version: '0.2.1-beta.1', date: '2024-06-20' },
  { version: '1.0.0', date: '2025-03-10' },
  { version: '1.0.3', date: '2025-05-01' },
];

describe('the version lifecycle table', () => {
  it('the newest line is current; older ones keep security fixes for supportMonths after their successor', () => {
    const t = lifecycleTable(released, policy, '2025-04-01');
    assert.deepEqual(
      t.map((c) => [c.label, c.status, c.latest, c.support, c.eol]),
      [
        ['v1.x', 'current', '1.0.3', true, false],
        ['v0.2.x', 'security', '0.2.0', '2025-03-10', '2026-03-10'],
        ['v0.1.x', 'security', '0.1.1', '2024-06-01', '2025-06-01'],
      ],
    );
    assert.equal(lifecycleTable(released, policy, '2025-06-01')[2]!.status, 'eol', 'on its end-of-life day');
  });

  it('securityLines caps the older lines; an explicit end of life is a date or the version that ends it', () => {
    const capped = lifecycleTable(released, { ...policy, securityLines: 1 }, '2025-04-01');
    assert.equal(capped[2]!.eol, '2025-03-10', 'pushed out when 1.0.0 came');
    assert.equal(capped[2]!.status, 'eol');
    const explicit = lifecycleTable(released, { ...policy, eol: { '0.2': 'v1.1.0', '0.1': 'v1.0.0' } }, '2025-04-01');
    assert.equal(explicit[1]!.eolVersion, '1.1.0');
    const typo = { ...policy, eol: { '0.2': 'v1.1.0', '9': '2030-01-01' } };
    assert.deepEqual(unknownEolLines(lifecycleTable(released, typo, '2025-04-01'), typo), [
      'lifecycle.eol names line "9", which has no stable release; the lines are "1", "0.2", "0.1" (keys are majors, such as "1")',
    ]);
    assert.equal(explicit[1]!.eol, false);
    assert.equal(explicit[2]!.eol, '2025-03-10');
    assert.equal(
      lifecycleMarkdown(explicit),
      [
        '| Version | Status | Support | End of Life |',
        '|---------|--------|---------|-------------|',
        '| v1.x | Current | Full | TBD |',
        '| v0.2.x | Deprecated | Security only | v1.1.0 |',
        '| v0.1.x | End of life | None | 2025-03-10 |',
        '',
      ].join('\n'),
    );
    const minor = lifecycleTable(released, { ...policy, line: 'minor' }, '2025-04-01');
    assert.equal(minor[0]!.label, 'v1.0.x');
    assert.deepEqual(lineOf(explicit, '0.2.0', 'major').moveTo?.label, 'v1.x');
    assert.equal(lineOf(explicit, '1.0.1', 'major').moveTo, null);
  });
});

describe('the release calendar', () => {
  it('derives each row from the tags: released, late, then the next one planning and the rest planned', () => {
    const rows = calendarRows(
      [
        { version: '1.2.0', target: '2025-Q4', focus: 'Enterprise' },
        { version: '1.0.0', target: '2025-03', focus: 'Stable API' },
        { version: '1.1.0', target: '2025-06', focus: 'Performance' },
        { version: '1.3.0', target: '2026-01-15' },
      ],
      released,
      '2025-07-01',
    );
    assert.deepEqual(
      rows.map((r) => [r.version, r.status, r.due]),
      [
        ['1.0.0', 'released', '2025-03-31'],
        ['1.1.0', 'late', '2025-06-30'],
        ['1.2.0', 'planning', '2025-12-31'],
        ['1.3.0', 'planned', '2026-01-15'],
      ],
    );
    assert.match(calendarMarkdown(rows), /\| v1\.0\.0 \| March 2025 \| ✅ Released \(2025-03-10\) \| Stable API \|/);
    assert.throws(() => parseTarget('2025-13'), /expected a month \(2026-06\), a day \(2026-06-15\) or a quarter/);
    assert.throws(() => parseTarget('2025-02-30'), /is not a date/);
  });

  it('a channel past its cadence is overdue', () => {
    const [c] = cadenceChecks(
      { stable: { text: '4w', ms: 28 * 86_400_000 } },
      { stable: { version: '1.0.3', date: '2025-05-01' } },
      new Date('2025-06-15T00:00:00Z'),
    );
    assert.deepEqual({ age: c!.ageDays, overdue: c!.overdue }, { age: 45, overdue: true });
  });
});
