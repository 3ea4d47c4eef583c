import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { SlipwayError } from '../core/errors.ts';
import { LocalStore, type FeedStore } from '../feed/store.ts';

/** `sha256sum` format: "<hex>  <name>", one line per file, sorted by name. */
export function renderSha256Sums(files: readonly { name: string; sha256: string }[]): string {
  return [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.sha256}  ${f.name}\n`)
    .join('');
}

/**
 * The detached signature `cosign verify-blob --key cosign.pub --signature SHA256SUMS.sig` accepts:
 * ECDSA P-256 over SHA-256, DER, base64. `openssl dgst -sha256 -verify cosign.pub` accepts it
 * once base64-decoded.
 */
export function signBlob(privateKey: KeyObject, data: Buffer): string {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SlipwayError(
      'KEY_TYPE',
      'the release signing key must be ECDSA P-256 (what cosign verify-blob --key expects)',
    );
  }
  return sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

export interface ReleaseViewOptions {
  /** The feed: a folder path, or a store (an S3 bucket). */
  feedDir: string | FeedStore;
  version: string;
  files: readonly { name: string; sha256: string }[];
  notes: string | null;
  /** The ECDSA P-256 private key (PEM, encrypted with the passphrase). */
  signingKeyPem: string;
  passphrase: string;
}

/**
 * Writes what a GitHub release page gives, beside the TUF metadata: releases/<version>/SHA256SUMS,
 * SHA256SUMS.sig, notes.md, and cosign.pub at the top of the feed.
 */
export async function writeReleaseView(options: ReleaseViewOptions): Promise<{ dir: string }> {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: options.signingKeyPem, format: 'pem', passphrase: options.passphrase });
  } catch (error) {
    throw new SlipwayError('KEY_PASSPHRASE_WRONG', 'cannot decrypt the release signing key: wrong passphrase?', {
      cause: error,
    });
  }
  const store = typeof options.feedDir === 'string' ? new LocalStore(options.feedDir) : options.feedDir;
  const dir = `releases/${options.version}`;
  const sums = renderSha256Sums(options.files);
  const pem = createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
  const published = await store.read('cosign.pub');
  if (published !== null && published.toString('utf8') !== pem)
    throw new SlipwayError(
      'KEY_MISMATCH',
      `${store.location}/cosign.pub holds another public key than the release signing key; rotate keys with slipway keys rotate`,
    );
  // The signature before the sums it signs, so a reader never finds sums without their signature.
  await store.write(`${dir}/SHA256SUMS.sig`, `${signBlob(key, Buffer.from(sums))}\n`);
  await store.write(`${dir}/SHA256SUMS`, sums);
  if (options.notes !== null) await store.write(`${dir}/notes.md`, options.notes);
  if (published === null) await store.write('cosign.pub', pem);
  return { dir: `${store.location}/${dir}` };
}
