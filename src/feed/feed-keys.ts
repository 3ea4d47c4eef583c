import { createKeys, type KeyAlgorithm, type KeyStoreOptions } from './keys.ts';
import type { FeedKeys } from './metadata.ts';

/** Creates a key for every top role and channel in a folder and returns them as a feed's keys. */
export async function createFeedKeys(
  channels: readonly string[],
  options: KeyStoreOptions & { algorithm?: KeyAlgorithm },
): Promise<FeedKeys> {
  const created = await createKeys(
    ['root', 'targets', 'snapshot', 'timestamp', ...channels],
    options.algorithm ?? 'ed25519',
    options,
  );
  const by = new Map(created.map((k) => [k.role, k]));
  const role = (name: string) => by.get(name)!;
  return {
    root: role('root'),
    targets: role('targets'),
    snapshot: role('snapshot'),
    timestamp: role('timestamp'),
    channels: Object.fromEntries(channels.map((c) => [c, role(c)])),
  };
}
