import { createReadStream } from 'node:fs';
import { isAbsolute, posix } from 'node:path';

/**
 * Reading a .tar.gz without writing it anywhere: what it unpacks to, and which entries may not be
 * unpacked. The publisher checks an artifact with this before it enters the feed, and the instance
 * with the same code before it unpacks one, so a release an instance would refuse never ships.
 */

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

export interface ArchiveLimits {
  /** The most bytes the archive may unpack to. */
  maxBytes: number;
  maxEntries: number;
}

export interface ArchiveReport {
  unpackedSize: number;
  entries: number;
  files: number;
  /** Entries that may not be unpacked, and link chains that lead out. */
  unsafe: UnsafeEntry[];
  /** Set when the archive went past the limits (the read stopped at that header). */
  overLimit: string | null;
  /** Small files read whole on the way, by path (for slipway.app.json, PKG-INFO). */
  read: Map<string, string>;
}

/** Not a readable gzip tar (a text file named .tar.gz, a cut download). */
export class ArchiveUnreadable extends Error {}

/**
 * Walks the archive's headers once, streaming: memory stays flat whatever it holds, and a bomb
 * stops the read at its first header past the limits. `wanted` names small files to read whole.
 */
export async function inspectArchive(
  archive: string,
  limits: ArchiveLimits = { maxBytes: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER },
  wanted: (path: string) => boolean = () => false,
): Promise<ArchiveReport> {
  // tar is loaded when an archive is first read, not with the agent.
  const tar = await import('tar');
  const report: ArchiveReport = { unpackedSize: 0, entries: 0, files: 0, unsafe: [], overLimit: null, read: new Map() };
  const links = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      const source = createReadStream(archive);
      const parser = new tar.Parser({
        strict: true,
        onReadEntry: (e) => {
          report.unpackedSize += e.size ?? 0;
          report.entries++;
          if (report.unpackedSize > limits.maxBytes || report.entries > limits.maxEntries) {
            report.overLimit = `it unpacks to more than ${limits.maxBytes} bytes or ${limits.maxEntries} entries`;
            e.resume();
            source.destroy();
            parser.abort(new Error(report.overLimit));
            resolve();
            return;
          }
          const path = posix.normalize(e.path.replace(/\\/g, '/')).replace(/\/$/, '');
          const why = entryProblem(e.path, e.type, e.linkpath);
          if (why) report.unsafe.push({ path: e.path, why });
          if (e.type === 'SymbolicLink') links.set(path, e.linkpath ?? '');
          if (e.type === 'File') report.files++;
          if (e.type === 'File' && (e.size ?? 0) <= 1024 * 1024 && wanted(path)) {
            const chunks: Buffer[] = [];
            e.on('data', (c: Buffer) => chunks.push(c));
            e.on('end', () => report.read.set(path, Buffer.concat(chunks).toString('utf8')));
          } else e.resume();
        },
      });
      parser.on('error', reject);
      parser.on('abort', (error: Error) => (report.overLimit ? resolve() : reject(error)));
      parser.on('end', () => resolve());
      source.on('error', (error) => (report.overLimit ? resolve() : reject(error)));
      source.pipe(parser);
    });
  } catch (error) {
    throw new ArchiveUnreadable((error as Error).message, { cause: error });
  }
  for (const chain of escapingLinks(links))
    report.unsafe.push({ path: chain, why: 'a chain of links that leads out of the release folder' });
  return report;
}

/** What an archive unpacks to, read from its headers (nothing is written). */
export async function measureArchive(archive: string): Promise<{ unpackedSize: number; entries: number }> {
  const r = await inspectArchive(archive);
  return { unpackedSize: r.unpackedSize, entries: r.entries };
}
