import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFilesAtomic } from '../project/atomic-write.ts';

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
    throw new SlipwayError('KEY_TYPE', 'the release signing key must be ECDSA P-256 (what cosign verify-blob --key expects)');
  }
  return sign('sha256', data, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
}

export interface ReleaseViewOptions {
  feedDir: string;
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
    throw new SlipwayError('KEY_PASSPHRASE_WRONG', 'cannot decrypt the release signing key: wrong passphrase?', { cause: error });
  }
  const dir = join(options.feedDir, 'releases', options.version);
  await mkdir(dir, { recursive: true });
  const sums = renderSha256Sums(options.files);
  const files = [
    { path: join(dir, 'SHA256SUMS'), data: sums },
    { path: join(dir, 'SHA256SUMS.sig'), data: `${signBlob(key, Buffer.from(sums))}\n` },
  ];
  if (options.notes !== null) files.push({ path: join(dir, 'notes.md'), data: options.notes });
  const pub = join(options.feedDir, 'cosign.pub');
  const pem = createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
  if (!(await exists(pub))) files.push({ path: pub, data: pem });
  else if ((await readFile(pub, 'utf8')) !== pem) throw new SlipwayError('KEY_MISMATCH', `${pub} holds another public key than the release signing key; rotate keys with slipway keys rotate`);
  await writeFilesAtomic(files);
  return { dir };
}
