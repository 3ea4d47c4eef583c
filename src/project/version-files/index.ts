import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import semver from 'semver';
import type { ResolvedConfig, VersionFileEntry } from '../../core/config/schema.ts';
import { SlipwayError } from '../../core/errors.ts';
import { normalizePep440, toPep440 } from '../../core/version/pep440.ts';
import { exists, writeFilesAtomic } from '../../io/atomic-write.ts';
import { markerFormat } from './marker.ts';
import { packageJson, packageLock } from './package-json.ts';
import { python } from './python.ts';
import { cargo, pyproject } from './toml.ts';
import type { VersionFileKind, VersionFormat, VersionLocation } from './types.ts';

export type { VersionFileKind, VersionLocation } from './types.ts';

export interface VersionFile {
  /** Relative to the repository root. */
  path: string;
  kind: VersionFileKind | 'package-lock';
  spelling: 'semver' | 'pep440';
  format: VersionFormat;
}

function kindFromName(path: string): VersionFileKind | null {
  const name = basename(path);
  if (name === 'package.json') return 'package-json';
  if (name === 'pyproject.toml') return 'pyproject';
  if (name === 'Cargo.toml') return 'cargo';
  if (name.endsWith('.py')) return 'python';
  return null;
}

function inside(root: string, path: string): string {
  const full = resolve(root, path);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new SlipwayError(
      'VERSION_FILE_OUTSIDE',
      `version file ${path} is outside the repository; list paths relative to ${root}`,
    );
  }
  return rel;
}

/** The configured version files, or package.json / pyproject.toml / Cargo.toml when none are configured. */
export async function resolveVersionFiles(root: string, config: ResolvedConfig): Promise<VersionFile[]> {
  const entries: VersionFileEntry[] = config.versionFiles ?? [];
  if (config.versionFiles === undefined) {
    for (const name of ['package.json', 'pyproject.toml', 'Cargo.toml'])
      if (await exists(join(root, name))) entries.push(name);
  }
  const files: VersionFile[] = [];
  for (const entry of entries) {
    const spec = typeof entry === 'string' ? { path: entry } : entry;
    const path = inside(root, spec.path);
    const kind = spec.type ?? kindFromName(path);
    if (kind === null) {
      throw new SlipwayError(
        'VERSION_FILE_KIND',
        `cannot tell how ${path} holds its version; give it a "type" (package-json, pyproject, cargo, python or marker) in versionFiles`,
      );
    }
    const spelling = spec.format ?? (kind === 'pyproject' || kind === 'python' ? 'pep440' : 'semver');
    const format =
      kind === 'package-json'
        ? packageJson
        : kind === 'pyproject'
          ? pyproject
          : kind === 'cargo'
            ? cargo
            : kind === 'python'
              ? python
              : markerFormat(spec.marker ?? 'slipway-version');
    files.push({ path, kind, spelling, format });
    if (kind === 'package-json') {
      // The lock file carries the version too and must agree.
      for (const lock of ['package-lock.json', 'npm-shrinkwrap.json']) {
        const lockPath = join(path, '..', lock);
        if (await exists(join(root, lockPath)))
          files.push({ path: lockPath, kind: 'package-lock', spelling: 'semver', format: packageLock });
      }
    }
  }
  return files;
}

async function readText(root: string, path: string): Promise<string> {
  try {
    return await readFile(join(root, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SlipwayError(
      'VERSION_FILE_MISSING',
      `version file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; create it or remove it from versionFiles in slipway.json`,
      { cause: error },
    );
  }
}

export interface FoundVersion extends VersionLocation {
  path: string;
  /** The version as this file should spell `expected`, when one is given. */
  expected: string | null;
  matches: boolean | null;
}

/** How a file of this spelling writes a semantic version. */
export function spell(version: string, spelling: VersionFile['spelling']): string {
  return spelling === 'pep440' ? toPep440(version) : version;
}

function same(found: string, expected: string, spelling: VersionFile['spelling']): boolean {
  if (spelling === 'pep440') return normalizePep440(found) === normalizePep440(toPep440(expected));
  return semver.valid(found) !== null && semver.eq(found, expected);
}

/** Reads every version location of every file; compares with `expected` when given. */
export async function readVersions(
  root: string,
  files: readonly VersionFile[],
  expected: string | null,
): Promise<FoundVersion[]> {
  const out: FoundVersion[] = [];
  for (const f of files) {
    const text = await readText(root, f.path);
    for (const loc of f.format.read(text, f.path)) {
      out.push({
        ...loc,
        path: f.path,
        expected: expected === null ? null : spell(expected, f.spelling),
        matches: expected === null ? null : same(loc.version, expected, f.spelling),
      });
    }
  }
  return out;
}

export interface VersionChange {
  path: string;
  from: string[];
  to: string;
  text: string;
}

/** Plans writing `version` into every file; nothing is written. */
export async function planVersionWrite(
  root: string,
  files: readonly VersionFile[],
  version: string,
): Promise<VersionChange[]> {
  const changes: VersionChange[] = [];
  for (const f of files) {
    const before = await readText(root, f.path);
    const to = spell(version, f.spelling);
    const text = f.format.write(before, to, f.path);
    changes.push({
      path: f.path,
      from: f.format.read(before, f.path).map((l) => l.version),
      to,
      text: text === before ? before : text,
    });
  }
  return changes;
}

/** Writes every change or none. */
export async function applyVersionWrite(root: string, changes: readonly VersionChange[]): Promise<void> {
  await writeFilesAtomic(changes.map((c) => ({ path: join(root, c.path), data: c.text })));
}
