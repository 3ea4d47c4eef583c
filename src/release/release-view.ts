import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { SlipwayError } from '../core/errors.ts';
import { blobPath } from '../feed/metadata.ts';
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
  /** The artifacts; with `path` (their target path in the feed) each is also stored under its own name. */
  files: readonly { name: string; sha256: string; path?: string }[];
  notes: string | null;
  /** The ECDSA P-256 private key (PEM, encrypted with the passphrase). */
  signingKeyPem: string;
  passphrase: string;
}

/**
 * Writes what a GitHub release page gives, beside the TUF metadata: releases/<version>/ holds each
 * artifact under its own name (a hard link to the stored target on a local feed, a server-side
 * copy on S3), SHA256SUMS, SHA256SUMS.sig, cosign.pub and notes.md, so that after a plain download
 * `sha256sum -c SHA256SUMS` and `cosign verify-blob` work in that folder. cosign.pub is also at the
 * top of the feed.
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
  // The files first, then the signature, then the sums it signs: a reader never finds sums without
  // their signature, nor a checksum line for a file that is not there yet.
  for (const f of options.files)
    if (f.path !== undefined) await store.copy(blobPath(f.path, f.sha256), `${dir}/${f.name}`);
  await store.write(`${dir}/cosign.pub`, pem);
  await store.write(`${dir}/SHA256SUMS.sig`, `${signBlob(key, Buffer.from(sums))}\n`);
  await store.write(`${dir}/SHA256SUMS`, sums);
  if (options.notes !== null) await store.write(`${dir}/notes.md`, options.notes);
  if (published === null) await store.write('cosign.pub', pem);
  return { dir: `${store.location}/${dir}` };
}
