import * as tar from 'tar';

/** What an archive unpacks to, read from its headers (nothing is written). */
export async function measureArchive(archive: string): Promise<{ unpackedSize: number; entries: number }> {
  let unpackedSize = 0;
  let entries = 0;
  await tar.t({
    file: archive,
    strict: true,
    onReadEntry: (e) => {
      entries++;
      unpackedSize += e.size ?? 0;
    },
  });
  return { unpackedSize, entries };
}
