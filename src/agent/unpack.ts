import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { isAbsolute, posix } from 'node:path';
import * as tar from 'tar';
import { SlipwayError } from '../core/errors.ts';

export interface UnsafeEntry {
  path: string;
  why: string;
}

/** Why an archive entry may not be unpacked, or null when it may. */
export function entryProblem(path: string, type: string, linkpath: string | undefined): string | null {
  const p = path.replace(/\\/g, '/');
  if (p.startsWith('/') || isAbsolute(p) || /^[A-Za-z]:/.test(p)) return 'absolute path';
  const norm = posix.normalize(p);
  if (norm === '..' || norm.startsWith('../') || p.split('/').includes('..')) return 'path leaves the release folder';
  if (type === 'SymbolicLink' || type === 'Link') {
    const target = (linkpath ?? '').replace(/\\/g, '/');
    if (target === '' || target.startsWith('/') || isAbsolute(target)) return `link to an absolute path (${target})`;
    const resolved = posix.normalize(type === 'Link' ? target : posix.join(posix.dirname(norm), target));
    if (resolved === '..' || resolved.startsWith('../')) return `link pointing out of the release folder (${target})`;
    return null;
  }
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile' || type === 'Directory') return null;
  return `${type} entries are not allowed`;
}

/**
 * Where a path in the archive really leads once the archive's own links are followed (a/b -> ..,
 * then a/c -> b/.. is the folder above the release); null when it leaves the release folder.
 */
export function resolveThroughLinks(path: string, links: ReadonlyMap<string, string>, depth = 0): string | null {
  if (depth > 40) return null;
  const out: string[] = [];
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(part);
    const target = links.get(out.join('/'));
    if (target !== undefined) {
      if (target.startsWith('/')) return null;
      const base = out.slice(0, -1).join('/');
      const through = resolveThroughLinks(base ? `${base}/${target}` : target, links, depth + 1);
      if (through === null) return null;
      out.splice(0, out.length, ...through.split('/').filter((p) => p !== ''));
    }
  }
  return out.join('/');
}

/** A link whose target, followed through the archive's other links, leaves the release folder. */
function escapingLinks(links: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [path, target] of links) {
    const dir = posix.dirname(path);
    if (resolveThroughLinks(dir === '.' ? target : `${dir}/${target}`, links) === null)
      bad.push(`${path} -> ${target}`);
  }
  return bad;
}

/**
 * Unpacks a .tar.gz release into `dest` (which must not exist). Every entry is checked first: no
 * absolute paths, no "..", no links pointing out of the folder, no devices or FIFOs. One bad entry
 * refuses the whole archive before anything is written.
 */
export interface UnpackLimits {
  /** The most bytes the archive may unpack to. */
  maxBytes: number;
  maxEntries: number;
}

/** Without sizes from the manifest: 1 GiB plus 64 times the archive, and 100,000 entries. */
export const defaultLimits = (archiveLength: number): UnpackLimits => ({
  maxBytes: 1024 ** 3 + 64 * archiveLength,
  maxEntries: 100_000,
});

export async function unpackRelease(
  archive: string,
  dest: string,
  limits: UnpackLimits = { maxBytes: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER },
): Promise<{ files: number }> {
  if (!/\.(tar\.gz|tgz)$/.test(archive))
    throw new SlipwayError(
      'ARTIFACT_FORMAT',
      `${archive} is not a .tar.gz; releases are shipped as .tar.gz archives with slipway.app.json at the top`,
    );
  const bad: UnsafeEntry[] = [];
  const links = new Map<string, string>();
  let files = 0;
  let bytes = 0;
  let count = 0;
  const limit: { hit: string | null } = { hit: null };
  try {
    // A parser over a file stream (not tar.t) so that a bomb can stop the read at its first header.
    await new Promise<void>((resolve, reject) => {
      const source = createReadStream(archive);
      const parser = new tar.Parser({
        strict: true,
        onReadEntry: (e) => {
          e.resume();
          // Judged from the headers, before anything is inflated to disk.
          bytes += e.size ?? 0;
          count++;
          if (limit.hit === null && (bytes > limits.maxBytes || count > limits.maxEntries)) {
            limit.hit = `it unpacks to more than ${limits.maxBytes} bytes or ${limits.maxEntries} entries`;
            source.destroy();
            parser.abort(new Error(limit.hit));
            reject(new Error(limit.hit));
            return;
          }
          const why = entryProblem(e.path, e.type, e.linkpath);
          if (why) bad.push({ path: e.path, why });
          if (e.type === 'SymbolicLink')
            links.set(posix.normalize(e.path.replace(/\\/g, '/')).replace(/\/$/, ''), e.linkpath ?? '');
          if (e.type === 'File') files++;
        },
      });
      parser.on('error', reject);
      parser.on('abort', reject);
      parser.on('end', () => resolve());
      source.on('error', reject);
      source.pipe(parser);
    });
  } catch (error) {
    if (limit.hit !== null)
      throw new SlipwayError('UNSAFE_ARCHIVE', `refusing ${archive}: ${limit.hit}`, { cause: error });
    throw new SlipwayError('ARTIFACT_FORMAT', `${archive} is not a readable .tar.gz: ${(error as Error).message}`, {
      cause: error,
    });
  }
  for (const chain of escapingLinks(links))
    bad.push({ path: chain, why: 'a chain of links that leads out of the release folder' });
  if (bad.length > 0) {
    throw new SlipwayError(
      'UNSAFE_ARCHIVE',
      `refusing ${archive}: ${bad
        .slice(0, 5)
        .map((b) => `${b.path} (${b.why})`)
        .join('; ')}${bad.length > 5 ? `; and ${bad.length - 5} more` : ''}`,
    );
  }
  await mkdir(dest, { recursive: false });
  try {
    await tar.x({
      file: archive,
      cwd: dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      noMtime: false,
      // setuid, setgid and sticky bits and owners from the archive are never kept.
      onReadEntry: (entry) => {
        if (entry.mode !== undefined) entry.mode &= 0o777;
      },
      filter: (path, entry) =>
        entryProblem(path, (entry as tar.ReadEntry).type, (entry as tar.ReadEntry).linkpath) === null,
    });
  } catch (error) {
    await rm(dest, { recursive: true, force: true });
    throw new SlipwayError('ARTIFACT_FORMAT', `unpacking ${archive} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { files };
}
