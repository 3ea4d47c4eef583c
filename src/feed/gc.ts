import type { FeedStore } from './store.ts';

/** The garbage list: a dotfile, so `feed serve` never serves it. */
const GC_FILE = 'metadata/.gc.json';

/**
 * Deletes what earlier changes left unreferenced, and records what this one did: files a change
 * leaves unreferenced are deleted by the change after it, since readers that fetched the previous
 * timestamp may still need them.
 */
export async function collectGarbage(
  store: FeedStore,
  garbage: readonly string[],
  timestampVersion: number,
): Promise<void> {
  let pending: { path: string; after: number }[] = [];
  const data = await store.read(GC_FILE);
  if (data !== null) {
    try {
      pending = (JSON.parse(data.toString('utf8')) as { pending: typeof pending }).pending;
    } catch {
      pending = [];
    }
  }
  const due = pending.filter((p) => p.after < timestampVersion).map((p) => p.path);
  const next = [
    ...pending.filter((p) => p.after >= timestampVersion),
    ...garbage.filter((g) => !g.endsWith('.root.json')).map((path) => ({ path, after: timestampVersion })),
  ];
  await store.write(GC_FILE, `${JSON.stringify({ pending: next })}\n`);
  await store.remove(due);
}
