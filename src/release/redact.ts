/** The text with every secret (a token, a webhook address) replaced by ***: for errors and logs. */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  let out = text;
  for (const s of secrets) if (typeof s === 'string' && s.length >= 4) out = out.split(s).join('***');
  return out;
}

/** A failed fetch's reason with the system's code (ECONNREFUSED, ETIMEDOUT…) that "fetch failed" hides. */
export function networkReason(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? null;
  return code !== null ? `${e.message} (${code})` : e.message;
}
