import type { ParsedCommit } from '../commit/types.ts';
import { SEVERITIES, type Severity } from '../feed/manifest.ts';

/** Whether a release is a security release (and how severe) and whether it breaks anything. */
export interface ReleaseMarkers {
  security: { severity: Severity; advisory: string | null } | null;
  breaking: boolean;
  /** The commits that made each marker, short shas. */
  because: { security: string[]; breaking: string[] };
}

const ADVISORY = /\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,}|PYSEC-\d{4}-\d+|OSV-\d{4}-\d+)\b/i;

/**
 * The markers of a release, from its commits (after reverts settle): one answer used by `next
 * --json`, the notes, the changelog and the manifest `release`/`publish` write. A `security`
 * commit makes a security release; its `Severity:` footer (low, medium, high, critical) sets the
 * severity, the highest one wins, medium when none is given; an advisory id (GHSA, CVE, PYSEC)
 * in an `Advisory:`/`CVE:` footer or the subject is recorded. A breaking commit makes it breaking.
 */
export function releaseMarkers(included: readonly ParsedCommit[]): ReleaseMarkers {
  let severity: Severity | null = null;
  let advisory: string | null = null;
  const security: string[] = [];
  const breaking: string[] = [];
  for (const c of included) {
    if (c.breaking) breaking.push(c.shortSha);
    if (c.type !== 'security') continue;
    security.push(c.shortSha);
    let own: Severity = 'medium';
    for (const f of c.footers) {
      const token = f.token.toLowerCase();
      const value = f.value.trim().toLowerCase();
      if (token === 'severity' && (SEVERITIES as readonly string[]).includes(value)) own = value as Severity;
      if ((token === 'advisory' || token === 'cve' || token === 'ghsa') && advisory === null) {
        advisory = ADVISORY.exec(f.value)?.[1] ?? (f.value.trim() || null);
      }
    }
    if (advisory === null) advisory = ADVISORY.exec(c.subject)?.[1] ?? null;
    if (severity === null || SEVERITIES.indexOf(own) > SEVERITIES.indexOf(severity)) severity = own;
  }
  return {
    security: severity === null ? null : { severity, advisory },
    breaking: breaking.length > 0,
    because: { security, breaking },
  };
}
