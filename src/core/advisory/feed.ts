import semver from 'semver';
import { fixedVersions, isAffected, type OsvAdvisory } from './osv.ts';

/** What a channel of the feed says about advisories: the public ones, in OSV. */
export interface FeedAdvisories {
  schema: 1;
  advisories: OsvAdvisory[];
}

export const advisoriesPath = (channel: string): string => `${channel}/advisories.json`;

/** An advisory as an instance reports it: "1.4.2 is affected by X (high): fixed in 1.4.3". */
export interface AffectingAdvisory {
  id: string;
  aliases: string[];
  severity: string;
  summary: string;
  /** The fixed releases at or above the installed version. */
  fixedIn: string[];
}

export function affecting(advisories: readonly OsvAdvisory[], version: string | null): AffectingAdvisory[] {
  if (version === null) return [];
  return advisories
    .filter((a) => isAffected(a, version))
    .map((a) => ({
      id: a.id,
      aliases: a.aliases ?? [],
      severity: a.database_specific.severity,
      summary: a.summary,
      fixedIn: fixedVersions(a).filter((v) => semver.gt(v, version)),
    }));
}

/** The advisories affecting `current` that `target` is no longer affected by (it carries their fix). */
export function fixedBy(
  advisories: readonly OsvAdvisory[],
  current: string | null,
  target: string,
): { id: string; severity: OsvAdvisory['database_specific']['severity'] }[] {
  if (current === null) return [];
  return advisories
    .filter((a) => isAffected(a, current) && !isAffected(a, target))
    .map((a) => ({ id: a.id, severity: a.database_specific.severity }));
}

export function affectingText(version: string, a: AffectingAdvisory): string {
  const name = a.aliases.length > 0 ? `${a.id} (${a.aliases.join(', ')})` : a.id;
  return `${version} is affected by ${name} (${a.severity}): ${a.summary}; ${a.fixedIn.length > 0 ? `fixed in ${a.fixedIn.join(', ')}` : 'no fix released yet'}`;
}
