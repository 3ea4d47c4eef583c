import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { APP_MANIFEST, parseAppManifest } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { artifactKey, platformOf, type ArtifactKind } from '../core/feed/manifest.ts';
import { ArchiveUnreadable, inspectArchive } from '../io/archive.ts';

/** What publishing learned about an artifact by reading it the way an instance (or pip) will. */
export interface CheckedArtifact {
  name: string;
  platform: string;
  kind: ArtifactKind;
  unpackedSize?: number;
  entries?: number;
}

const isTarball = (name: string): boolean => /\.(tar\.gz|tgz)$/.test(name);

async function magic(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const refuse = (file: string, why: string): SlipwayError =>
  new SlipwayError('ARTIFACT_FORMAT', `${basename(file)} cannot be published: ${why}`);

/**
 * Checks an artifact before it enters the feed, with the code an instance uses later: a .tar.gz
 * must be a readable gzip tar that is safe to unpack (no absolute paths, no "..", no links that
 * lead out, no devices); an app archive's slipway.app.json must validate and name the version
 * being published; a wheel or zip must be a zip. Its unpacked size and entry count go into the
 * signed manifest. `publish --dry-run` runs exactly this.
 */
export async function checkArtifact(file: string, version: string): Promise<CheckedArtifact> {
  const name = basename(file);
  const s = await stat(file).catch(() => null);
  if (s === null || !s.isFile())
    throw new SlipwayError('ARTIFACT_MISSING', `${file} ${s === null ? 'does not exist' : 'is not a file'}`);
  const platform = platformOf(name);
  if (/\.(whl|zip)$/.test(name)) {
    const head = await magic(file, 4);
    if (!head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])))
      throw refuse(file, `a ${name.endsWith('.whl') ? 'wheel' : 'zip'} is a zip archive, and this file is not one`);
    return { name, platform, kind: name.endsWith('.whl') ? 'wheel' : 'zip' };
  }
  if (!isTarball(name)) return { name, platform, kind: 'binary' };
  let report;
  try {
    // slipway.app.json at the top (an app), or <name>-<version>/PKG-INFO (a Python sdist).
    report = await inspectArchive(
      file,
      undefined,
      (p) => p === APP_MANIFEST || p === `./${APP_MANIFEST}` || /^[^/]+\/PKG-INFO$/.test(p),
    );
  } catch (error) {
    if (error instanceof ArchiveUnreadable) throw refuse(file, `it is not a readable .tar.gz (${error.message})`);
    throw error;
  }
  if (report.unsafe.length > 0)
    throw refuse(
      file,
      `an instance would refuse to unpack it: ${report.unsafe
        .slice(0, 5)
        .map((u) => `${u.path} (${u.why})`)
        .join('; ')}`,
    );
  const sizes = { unpackedSize: report.unpackedSize, entries: report.entries };
  const app = report.read.get(APP_MANIFEST) ?? report.read.get(`./${APP_MANIFEST}`);
  if (app !== undefined) {
    try {
      parseAppManifest(app, `${name}: ${APP_MANIFEST}`, version);
    } catch (error) {
      throw refuse(file, (error as Error).message);
    }
    return { name, platform, kind: 'app', ...sizes };
  }
  const sdist = [...report.read.keys()].some((p) => p.endsWith('/PKG-INFO'));
  return { name, platform, kind: sdist ? 'sdist' : 'tarball', ...sizes };
}

/**
 * Every artifact of a release checked, and the key each gets in the manifest; two for one
 * platform and kind are refused, naming both. What publish and `publish --dry-run` both run.
 */
export async function checkArtifacts(
  files: readonly string[],
  version: string,
): Promise<{ file: string; checked: CheckedArtifact; key: string }[]> {
  const checked: CheckedArtifact[] = [];
  for (const file of files) checked.push(await checkArtifact(file, version));
  const byKey = new Map<string, CheckedArtifact>();
  return checked.map((c, n) => {
    const key = artifactKey(c, checked);
    const other = byKey.get(key);
    if (other)
      throw new SlipwayError(
        'USAGE',
        `${other.name} and ${c.name} are both the ${c.kind} for ${c.platform}; publish one per platform and kind (app-linux-amd64.tar.gz, app-linux-arm64.tar.gz, pkg-1.0.0-py3-none-any.whl, pkg-1.0.0.tar.gz)`,
      );
    byKey.set(key, c);
    return { file: files[n]!, checked: c, key };
  });
}
