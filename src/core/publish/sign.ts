import type { ResolvedConfig } from '../config/schema.ts';

/** release.sign as the tag step reads it: true/false, or null to follow git's tag.gpgSign. */
export function tagSigning(config: ResolvedConfig): boolean | null {
  const sign = config.release.sign;
  return sign === null || typeof sign === 'boolean' ? sign : sign.tag;
}

/** The GPG key that signs Python packages (release.sign.gpg), or null. */
export function gpgKey(config: ResolvedConfig): string | null {
  const sign = config.release.sign;
  return sign === null || typeof sign === 'boolean' ? null : sign.gpg;
}
