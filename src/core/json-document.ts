import type { z } from 'zod';
import { SlipwayError, type ErrorCode } from './errors.ts';

/**
 * Reads a JSON document Slipway did not write itself (a manifest in a release, the operator's
 * settings, a feed file) against its schema. Every problem is reported at once, with its path:
 * `<where> is not <kind>:\n  - path: message`.
 */
export function parseJsonDocument<T>(
  schema: z.ZodType<T>,
  text: string,
  options: { where: string; kind: string; code: ErrorCode },
): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SlipwayError(options.code, `${options.where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateDocument(schema, data, options);
}

export function validateDocument<T>(
  schema: z.ZodType<T>,
  data: unknown,
  options: { where: string; kind: string; code: ErrorCode },
): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  - ${i.path.join('.') || '(top)'}: ${i.message}`);
  throw new SlipwayError(options.code, `${options.where} is not ${options.kind}:\n${lines.join('\n')}`);
}
