import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import { Key, Signature } from '@tufjs/models';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFilesAtomic } from '../io/atomic-write.ts';

export type KeyAlgorithm = 'ed25519' | 'ecdsa';

/** A role's signing key: the TUF public key and a way to sign with the private one. */
export interface SigningKey {
  role: string;
  key: Key;
  sign(data: Buffer): Signature;
}

/** The TUF form of a public key, with its id: sha256 of the key's canonical JSON (TUF 4.2). */
export function tufKey(publicKey: KeyObject): Key {
  const type = publicKey.asymmetricKeyType;
  let fields: { keytype: string; scheme: string; keyval: { public: string } };
  if (type === 'ed25519') {
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    fields = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
  } else if (type === 'ec') {
    fields = {
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: publicKey.export({ format: 'pem', type: 'spki' }).toString() },
    };
  } else {
    throw new SlipwayError('KEY_TYPE', `unsupported key type ${type}; use ed25519 or ECDSA P-256`);
  }
  const keyID = createHash('sha256').update(canonicalize(fields)).digest('hex');
  return new Key({ keyID, keyType: fields.keytype, scheme: fields.scheme, keyVal: fields.keyval });
}

function signingKey(role: string, privateKey: KeyObject): SigningKey {
  const key = tufKey(createPublicKey(privateKey));
  const algorithm = privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return {
    role,
    key,
    sign: (data) => new Signature({ keyID: key.keyID, sig: sign(algorithm, data, privateKey).toString('hex') }),
  };
}

function passphrase(env: NodeJS.ProcessEnv, variable: string): string {
  const value = env[variable];
  if (value === undefined || value.length < 8) {
    throw new SlipwayError(
      'KEY_PASSPHRASE',
      `set ${variable} to the passphrase of the signing keys (8 characters or more); it is read from the environment so that it never appears in a command line or a log`,
    );
  }
  return value;
}

export interface KeyStoreOptions {
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** The environment variable holding the passphrase. */
  passphraseVariable?: string;
}

const DEFAULT_VARIABLE = 'SLIPWAY_KEY_PASSPHRASE';

/**
 * Creates a key per role: `<role>.pem` (PKCS#8, AES-256 encrypted with the passphrase) and
 * `<role>.pub.json` (the TUF public key). Existing keys are never overwritten.
 */
export async function createKeys(
  roles: readonly string[],
  algorithm: KeyAlgorithm,
  options: KeyStoreOptions,
): Promise<SigningKey[]> {
  const secret = passphrase(options.env ?? process.env, options.passphraseVariable ?? DEFAULT_VARIABLE);
  const files: { path: string; data: string; mode: number }[] = [];
  const keys: SigningKey[] = [];
  for (const role of roles) {
    const k = generateKey(role, algorithm, secret);
    files.push(...keyFiles(options.dir, role, k));
    keys.push(k.signing);
  }
  for (const f of files)
    if (await exists(f.path))
      throw new SlipwayError('KEY_EXISTS', `${f.path} exists already; move it away or use keys rotate`);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  await writeFilesAtomic(files);
  return keys;
}

export interface GeneratedKey {
  signing: SigningKey;
  /** PKCS#8 PEM, AES-256 encrypted with the passphrase. */
  pem: string;
}

export function generateKey(role: string, algorithm: KeyAlgorithm, secret: string): GeneratedKey {
  const pair =
    algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    signing: signingKey(role, pair.privateKey),
    pem: pair.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: secret }).toString(),
  };
}

export function keyFiles(dir: string, base: string, k: GeneratedKey): { path: string; data: string; mode: number }[] {
  return [
    { path: join(dir, `${base}.pem`), data: k.pem, mode: 0o600 },
    { path: join(dir, `${base}.pub.json`), data: `${JSON.stringify(k.signing.key.toJSON(), null, 2)}\n`, mode: 0o644 },
  ];
}

/** The passphrase from the environment, checked; never echoed. */
export function keyPassphrase(options: KeyStoreOptions): string {
  return passphrase(options.env ?? process.env, options.passphraseVariable ?? DEFAULT_VARIABLE);
}

/** Loads a role's private key; a wrong passphrase is reported as such, never echoed. */
export async function loadKey(role: string, options: KeyStoreOptions): Promise<SigningKey> {
  const secret = passphrase(options.env ?? process.env, options.passphraseVariable ?? DEFAULT_VARIABLE);
  const path = join(options.dir, `${role}.pem`);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    // A channel's role is named for it: say which roles there are, so a mistyped channel shows.
    const roles = (await readdir(options.dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.pem'))
      .map((f) => f.slice(0, -4))
      .sort();
    throw new SlipwayError(
      'KEY_MISSING',
      `no key for the ${role} role: ${path} is missing${roles.length > 0 ? ` (${options.dir} has keys for ${roles.join(', ')}: is "${role}" a channel of this feed?)` : ''}; create keys with slipway keys init`,
      { cause: error },
    );
  }
  try {
    return signingKey(role, createPrivateKey({ key: pem, format: 'pem', passphrase: secret }));
  } catch (error) {
    throw new SlipwayError(
      'KEY_PASSPHRASE_WRONG',
      `cannot decrypt ${path}: wrong passphrase in ${options.passphraseVariable ?? DEFAULT_VARIABLE}?`,
      { cause: error },
    );
  }
}
