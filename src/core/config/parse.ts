import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { SlipwayError } from '../errors.ts';
import { ConfigSchema, resolveConfig, type ResolvedConfig } from './schema.ts';
import { describeValue, formatIssues } from './issues.ts';

export { formatIssues };

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
