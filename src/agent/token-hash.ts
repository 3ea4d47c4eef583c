import { createHash, timingSafeEqual } from 'node:crypto';
import type { Layout } from './layout.ts';

/**
 * How operators' tokens are kept and checked: only their SHA-256 is stored (state/operators.json).
 * Apart from operators.ts so that the lean agent checks tokens without its schema (and zod).
 */
export const operatorsFile = (layout: Layout): string => `${layout.state}/operators.json`;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Whether `token` is the one `hash` (hex SHA-256) was made from, in constant time. */
export function tokenMatches(token: string, hash: string): boolean {
  return /^[0-9a-f]{64}$/.test(hash) && timingSafeEqual(Buffer.from(hashToken(token), 'hex'), Buffer.from(hash, 'hex'));
}
