import type * as z from 'zod';

/** zod issues as the messages every config error shows (a module of its own: the agent needs it without the strategy's schema). */

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Formats every zod issue as "path: message (got …)". */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): string[] {
  return issues.flatMap((raw) => {
    const issue = { ...raw, path: [...prefix, ...raw.path] } as z.core.$ZodIssue;
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch the value was meant for: the one that did not fail on its type.
      const branch = issue.errors.find(
        (errs) => !errs.some((e) => (e.code === 'invalid_type' || e.code === 'invalid_value') && e.path.length === 0),
      );
      if (branch) return formatIssues(branch, input, issue.path);
    }
    if (issue.code === 'unrecognized_keys') {
      return [
        `${formatPath(issue.path)}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see the JSON Schema for the allowed keys)`,
      ];
    }
    const got = describeValue(valueAt(input, issue.path));
    return [`${formatPath(issue.path)}: ${issue.message} (got ${got})`];
  });
}
