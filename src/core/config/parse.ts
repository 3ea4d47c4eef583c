import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import * as z from 'zod';
import { SlipwayError } from '../errors.ts';
import { ConfigSchema, resolveConfig, type ResolvedConfig } from './schema.ts';

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else column++;
  }
  return `${line}:${column}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function describeValue(value: unknown): string {
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

/**
 * Parses slipway.json text (comments and trailing commas allowed) and validates it. Every
 * problem is reported at once, each with its path.
 */
export function parseConfig(text: string, source = 'slipway.json'): ResolvedConfig {
  const errors: ParseError[] = [];
  const data: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    throw new SlipwayError('CONFIG_SYNTAX', `${source} is not valid JSON (comments are allowed)`, {
      details: errors.map((e) => `${source}:${lineAndColumn(text, e.offset)}: ${printParseErrorCode(e.error)}`),
    });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new SlipwayError('CONFIG_INVALID', `${source} must hold a JSON object, got ${describeValue(data)}`);
  }
  const result = ConfigSchema.safeParse(data);
  if (!result.success) {
    const details = formatIssues(result.error.issues, data);
    throw new SlipwayError(
      'CONFIG_INVALID',
      `${source} has ${details.length} problem${details.length === 1 ? '' : 's'}`,
      { details },
    );
  }
  return resolveConfig(result.data);
}

export function defaultConfig(): ResolvedConfig {
  return resolveConfig(ConfigSchema.parse({}));
}
