import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SlipwayError } from '../errors.ts';
import { parseDuration } from './duration.ts';
import { activeWindow, nextWindowStart, parseWindows } from './window.ts';

const at = (iso: string): Date => new Date(iso);

describe('maintenance windows', () => {
  it('parses the strategy examples, lists, ranges and zones', () => {
    assert.deepEqual(
      parseWindows('Sun 02:00-06:00').map((w) => [w.days, w.start, w.end, w.zone]),
      [[[0], 120, 360, null]],
    );
    const two = parseWindows('Sat 03:00-05:00,Sun 02:00-06:00');
    assert.deepEqual(
      two.map((w) => w.days),
      [[6], [0]],
    );
    assert.deepEqual(parseWindows('Mon-Fri 01:00-02:00')[0]!.days, [1, 2, 3, 4, 5]);
    assert.deepEqual(parseWindows('Sat,Sun 02:00-04:00, daily 12:00-12:30')[0]!.days, [0, 6]);
    assert.equal(parseWindows('Sun 02:00-06:00 Europe/Berlin')[0]!.zone, 'Europe/Berlin');
    assert.deepEqual(parseWindows(''), []);
  });

  it('names the bad part of a bad window', () => {
    const cases: [string, RegExp][] = [
      ['Sun 25:00-06:00', /"Sun 25:00-06:00": "25:00" is not a time of day/],
      ['Sat 03:00-05:00,Sunday 2am-6am', /"Sunday 2am-6am": "2am" is not a time/],
      ['Funday 02:00-03:00', /"Funday" is not a day/],
      ['Sun 02:00-02:00', /starts and ends at the same time/],
      ['Sun 02:00-03:00 Mars/Olympus', /"Mars\/Olympus" is not an IANA time zone/],
      ['whenever', /expected days, a time range/],
    ];
    for (const [text, re] of cases)
      assert.throws(
        () => parseWindows(text),
        (e: SlipwayError) => e.code === 'USAGE' && re.test(e.message),
        text,
      );
  });

  it('knows when a window is open, across midnight and in a zone', () => {
    const w = parseWindows('Sat 23:00-01:00');
    // 2026-11-21 is a Saturday.
    assert.ok(activeWindow(w, at('2026-11-21T23:30:00Z'), 'UTC'));
    assert.ok(
      activeWindow(w, at('2026-11-22T00:59:00Z'), 'UTC'),
      'the early hours of Sunday belong to the Saturday window',
    );
    assert.equal(activeWindow(w, at('2026-11-22T01:00:00Z'), 'UTC'), null);
    assert.equal(activeWindow(w, at('2026-11-21T00:30:00Z'), 'UTC'), null, 'not the early hours of Saturday');
    const berlin = parseWindows('Sun 02:00-06:00 Europe/Berlin');
    assert.ok(activeWindow(berlin, at('2026-11-22T01:30:00Z'), 'UTC'), '02:30 in Berlin (UTC+1)');
    assert.equal(activeWindow(berlin, at('2026-11-22T05:30:00Z'), 'UTC'), null);
    assert.ok(
      activeWindow(parseWindows('Sun 02:00-06:00'), at('2026-11-22T01:30:00Z'), 'Europe/Berlin'),
      'server local time',
    );
  });

  it('finds the next opening', () => {
    const w = parseWindows('Sat 03:00-05:00,Sun 02:00-06:00');
    assert.equal(nextWindowStart(w, at('2026-11-19T12:00:00Z'), 'UTC')!.toISOString(), '2026-11-21T03:00:00.000Z');
    assert.equal(
      nextWindowStart(w, at('2026-11-21T04:00:00Z'), 'UTC')!.toISOString(),
      '2026-11-21T04:00:00.000Z',
      'open now',
    );
    assert.equal(nextWindowStart(w, at('2026-11-21T06:00:00Z'), 'UTC')!.toISOString(), '2026-11-22T02:00:00.000Z');
    assert.equal(nextWindowStart(w, at('2026-11-22T07:00:00Z'), 'UTC')!.toISOString(), '2026-11-28T03:00:00.000Z');
    assert.equal(
      nextWindowStart(
        parseWindows('Sun 02:00-06:00 America/New_York'),
        at('2026-11-19T12:00:00Z'),
        'UTC',
      )!.toISOString(),
      '2026-11-22T07:00:00.000Z',
    );
    assert.equal(nextWindowStart([], at('2026-11-19T12:00:00Z'), 'UTC'), null);
  });

  it('the next opening is always in a window and never before now (property)', () => {
    const w = parseWindows('Sat 23:00-01:00,Tue 04:30-05:00 Asia/Kolkata,Mon-Wed 12:00-12:15');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 0, 1) }), (t) => {
        const now = new Date(t);
        const next = nextWindowStart(w, now, 'Europe/Paris')!;
        assert.ok(next.getTime() >= now.getTime() - 60_000);
        assert.ok(activeWindow(w, new Date(Math.max(next.getTime(), now.getTime())), 'Europe/Paris'));
      }),
      { numRuns: 300 },
    );
  });
});

describe('durations', () => {
  it('reads 6h, 90m, 1h30m and refuses nonsense', () => {
    assert.equal(parseDuration('6h'), 21_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.throws(
      () => parseDuration('6 hours', 'update.check-interval'),
      /update.check-interval "6 hours" is not a duration/,
    );
    assert.throws(() => parseDuration(''), /not a duration/);
  });
});
