import type { ParsedCommit } from '../commit/types.ts';
import { ruleFor, type CommitRules } from '../config/schema.ts';

/**
 * The deprecation policy: what is removed must have been deprecated in an earlier minor first.
 * A removal is a commit whose type goes to the Removed section (`remove:`) or a `Removed:`
 * footer; it is announced when a `Deprecated:` footer of an earlier release names the same item.
 */

export interface Removal {
  sha: string;
  text: string;
}

export function removalsOf(commits: readonly ParsedCommit[], rules: CommitRules): Removal[] {
  const out: Removal[] = [];
  for (const c of commits) {
    if (ruleFor(c, rules)?.section === 'Removed') out.push({ sha: c.shortSha, text: c.subject });
    for (const f of c.footers)
      if (f.token.toLowerCase() === 'removed' && f.value.trim() !== '')
        out.push({ sha: c.shortSha, text: f.value.trim() });
  }
  return out;
}

/** The item a text names: before a comma, semicolon, dash or "use …", without backticks, case or a leading article. */
export function itemOf(text: string): string {
  return text
    .split(/[,;(]| - | — |\buse\b|\breplaced by\b/i)[0]!
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/^(the|a|an) /, '');
}

/** Whether `text` holds `item` as a whole phrase (a dash or word character does not end it: "flag" is not in "--legacy-flag"). */
function holds(text: string, item: string): boolean {
  const escaped = item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`, 'i').test(text);
}

/** The removals no deprecation names: the removal names the deprecated item, or the same item. */
export function unannounced(removals: readonly Removal[], deprecations: readonly string[]): Removal[] {
  const items = deprecations.map(itemOf).filter((i) => i.length >= 2);
  return removals.filter((r) => {
    const key = itemOf(r.text);
    const whole = r.text.replace(/`/g, '');
    return !items.some((i) => i === key || holds(whole, i) || (key.length >= 3 && holds(i, key)));
  });
}
