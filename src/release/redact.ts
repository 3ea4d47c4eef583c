/** The text with every secret (a token, a webhook address) replaced by ***: for errors and logs. */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  let out = text;
  for (const s of secrets) if (typeof s === 'string' && s.length >= 4) out = out.split(s).join('***');
  return out;
}
