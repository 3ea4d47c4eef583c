import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { cadenceChecks, calendarRows, type CadenceCheck, type CalendarRow } from '../core/lifecycle/calendar.ts';
import { lifecycleTable, type Cycle, type Released } from '../core/lifecycle/lifecycle.ts';
import { parseDuration } from '../core/schedule/duration.ts';
import { channelOf, classifyTags } from '../core/version/tags.ts';
import { listTags } from '../git/tags.ts';

/** The released versions of a repository, from its tags (the tag's date), lowest first. */
export async function releasedVersions(root: string, config: ResolvedConfig): Promise<Released[]> {
  const tags = classifyTags(await listTags(root), config.tagPrefix).releases;
  return tags.map((t) => ({ version: t.version, date: t.date })).sort((a, b) => semver.compare(a.version, b.version));
}

export async function lifecycleOf(root: string, config: ResolvedConfig, today: string): Promise<Cycle[]> {
  // Judged on a day: the releases made by then (a --date in the past sees the past).
  return lifecycleTable(
    (await releasedVersions(root, config)).filter((r) => r.date <= today),
    config.lifecycle,
    today,
  );
}

export async function calendarOf(
  root: string,
  config: ResolvedConfig,
  now: Date,
): Promise<{ rows: CalendarRow[]; cadence: CadenceCheck[] }> {
  const today = now.toISOString().slice(0, 10);
  const released = (await releasedVersions(root, config)).filter((r) => r.date <= today);
  for (const channel of Object.keys(config.cadence))
    if (!config.channels.includes(channel))
      throw new SlipwayError(
        'CONFIG_INVALID',
        `cadence names the channel "${channel}", which is not one of ${config.channels.join(', ')} ("channels")`,
      );
  const newest: Record<string, Released | null> = {};
  for (const channel of Object.keys(config.cadence)) {
    // A channel's releases are its own and every more stable one's (what a client on it sees).
    const rank = config.channels.indexOf(channel);
    const seen = released.filter(
      (r) =>
        !r.version.includes('nightly') && config.channels.indexOf(channelOf(r.version, config.stableChannel)) >= rank,
    );
    newest[channel] = seen.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0))[0] ?? null;
  }
  const cadence = Object.fromEntries(
    Object.entries(config.cadence).map(([c, text]) => [c, { text, ms: parseDuration(text, `cadence.${c}`) }]),
  );
  return { rows: calendarRows(config.calendar, released, today), cadence: cadenceChecks(cadence, newest, now) };
}
