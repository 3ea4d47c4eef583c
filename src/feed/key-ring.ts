import { join } from 'node:path';
import { readOptional } from '../io/optional-read.ts';
import { SlipwayError } from '../core/errors.ts';
import { loadKey, type KeyStoreOptions, type SigningKey } from './keys.ts';
import type { FeedKeys, OnlineKeys } from './metadata.ts';

export const TOP_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
/** The ECDSA P-256 key that signs each release's SHA256SUMS (what `cosign verify-blob` checks). */
export const RELEASE_KEY = 'release';

/** The key folder of a feed's maintainer: loads roles' private keys on demand. */
export class KeyRing {
  readonly dir: string;
  private readonly options: KeyStoreOptions;

  constructor(options: KeyStoreOptions) {
    this.dir = options.dir;
    this.options = options;
  }

  load(role: string): Promise<SigningKey> {
    return loadKey(role, this.options);
  }

  /** A role's key, or null when its file is absent (an offline key). */
  async tryLoad(role: string): Promise<SigningKey | null> {
    try {
      return await this.load(role);
    } catch (error) {
      if (error instanceof SlipwayError && error.code === 'KEY_MISSING') return null;
      throw error;
    }
  }

  /** Every key a new feed is signed with. */
  async all(channels: readonly string[]): Promise<FeedKeys> {
    const keys: FeedKeys = {
      root: await this.load('root'),
      targets: await this.load('targets'),
      snapshot: await this.load('snapshot'),
      timestamp: await this.load('timestamp'),
      channels: {},
    };
    for (const c of channels) keys.channels[c] = await this.load(c);
    return keys;
  }

  /** The online keys a change to these channels needs. */
  async online(channels: readonly string[]): Promise<OnlineKeys> {
    const keys: OnlineKeys = {
      snapshot: await this.load('snapshot'),
      timestamp: await this.load('timestamp'),
      channels: {},
    };
    for (const c of channels) keys.channels[c] = await this.load(c);
    return keys;
  }

  /** The release signing key's PEM (encrypted), or null when this key folder has none. */
  releasePem(): Promise<string | null> {
    return readOptional(join(this.dir, `${RELEASE_KEY}.pem`), 'utf8');
  }

  passphrase(): string {
    return (this.options.env ?? process.env)[this.options.passphraseVariable ?? 'SLIPWAY_KEY_PASSPHRASE'] ?? '';
  }
}
