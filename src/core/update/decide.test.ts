import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candidate, Selection, Severity } from '../feed/manifest.ts';
import { parseWindows } from '../schedule/window.ts';
import { decideUpdate, type UpdateSettings } from './decide.ts';

const candidate = (version: string, extra: Partial<Candidate> = {}): Candidate => ({
  version,
  commit: null,
  buildTime: '2026-11-01T00:00:00Z',
  security: null,
  breaking: false,
  minimumVersion: null,
  hotfix: false,
  manifest: `stable/${version}/release.json`,
  yanked: null,
  channel: 'stable',
  ...extra,
});

const selection = (target: Candidate | null, security: Severity | null = null): Selection => ({
  target,
  newest: target,
  steppingStone: false,
  security,
  yanked: [],
});

const SUNDAY = parseWindows('Sun 02:00-06:00 UTC');
const settings = (over: Partial<UpdateSettings> = {}): UpdateSettings => ({
  windows: SUNDAY,
  securityBypassWindow: true,
  autoMajor: false,
  zone: 'UTC',
  ...over,
});
const WEDNESDAY = new Date('2026-11-25T12:00:00Z');
const SUNDAY_3AM = new Date('2026-11-29T03:00:00Z');

describe('decideUpdate', () => {
  const cases: {
    name: string;
    current: string | null;
    target: Candidate | null;
    security?: Severity | null;
    held?: Record<string, string>;
    settings?: Partial<UpdateSettings>;
    now?: Date;
    action: string;
  }[] = [
    { name: 'nothing offered', current: '1.0.0', target: null, action: 'nothing' },
    { name: 'plain release outside the window', current: '1.0.0', target: candidate('1.0.2'), action: 'stage' },
    {
      name: 'plain release inside the window',
      current: '1.0.0',
      target: candidate('1.0.2'),
      now: SUNDAY_3AM,
      action: 'apply-now',
    },
    {
      name: 'no window set',
      current: '1.0.0',
      target: candidate('1.0.2'),
      settings: { windows: [] },
      action: 'apply-now',
    },
    {
      name: 'a critical fix skipped over by a plain release applies at once',
      current: '1.0.0',
      target: candidate('1.0.2'),
      security: 'critical',
      action: 'apply-now',
    },
    {
      name: 'security waits when the bypass is off',
      current: '1.0.0',
      target: candidate('1.0.2', { security: 'high' }),
      security: 'high',
      settings: { securityBypassWindow: false },
      action: 'stage',
    },
    {
      name: 'a version rolled back from is held',
      current: '1.0.0',
      target: candidate('1.2.1'),
      held: { '1.2.1': 'rolled back from by hand' },
      action: 'hold',
    },
    {
      name: 'a held version stays held even as a security fix',
      current: '1.0.0',
      target: candidate('1.2.1'),
      security: 'critical',
      held: { '1.2.1': 'health check failed' },
      action: 'hold',
    },
    {
      name: 'a newer release than the held one applies',
      current: '1.0.0',
      target: candidate('1.2.2'),
      held: { '1.2.1': 'health check failed' },
      now: SUNDAY_3AM,
      action: 'apply-now',
    },
    {
      name: 'a new major waits for approval',
      current: '1.4.0',
      target: candidate('2.0.0'),
      now: SUNDAY_3AM,
      action: 'wait-for-approval',
    },
    {
      name: 'a new major waits even when it carries a security fix',
      current: '1.4.0',
      target: candidate('2.0.0'),
      security: 'critical',
      action: 'wait-for-approval',
    },
    {
      name: 'a security fix within the major never waits for approval',
      current: '1.4.0',
      target: candidate('1.4.1'),
      security: 'high',
      action: 'apply-now',
    },
    {
      name: 'update.auto-major true applies a new major in the window',
      current: '1.4.0',
      target: candidate('2.0.0'),
      settings: { autoMajor: true },
      now: SUNDAY_3AM,
      action: 'apply-now',
    },
    {
      name: 'a fresh install is not a major step',
      current: null,
      target: candidate('2.0.0'),
      now: WEDNESDAY,
      action: 'stage',
    },
    {
      name: 'a stepping stone outside the window is staged',
      current: '1.0.0',
      target: candidate('1.5.0', { minimumVersion: null }),
      action: 'stage',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideUpdate(
        { current: c.current, held: c.held ?? {} },
        selection(c.target, c.security ?? null),
        settings(c.settings),
        c.now ?? WEDNESDAY,
      );
      assert.equal(d.action, c.action, d.reason);
      assert.ok(d.reason.length > 0);
      if (d.action === 'stage') assert.equal(d.applyAt?.toISOString(), '2026-11-29T02:00:00.000Z');
    });
  }
});
