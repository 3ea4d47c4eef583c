import { normalizePep440, toPep440 } from '../version/pep440.ts';

/**
 * Python packages as an index sees them, without I/O: core metadata (the METADATA of a wheel,
 * the PKG-INFO of an sdist), the checks `twine check` makes, the legacy upload API's form, and
 * the simple index (PEP 503) that tells what is uploaded already.
 */

/** Core metadata: RFC 822-style headers (repeatable, folded lines), then the description as the body. */
export interface CoreMetadata {
  headers: [string, string][];
  body: string;
}

export function parseCoreMetadata(text: string): CoreMetadata {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const headers: [string, string][] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') {
      i++;
      break;
    }
    if (/^[ \t]/.test(line) && headers.length > 0) {
      // A folded line continues the header before it (Description in metadata 1.x is written so).
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]}\n${line.replace(/^ {7}\|/, '').replace(/^ {8}/, '')}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { headers, body: lines.slice(i).join('\n').replace(/\n+$/, '') };
}

export function field(meta: CoreMetadata, name: string): string | undefined {
  const key = name.toLowerCase();
  return meta.headers.find(([k]) => k.toLowerCase() === key)?.[1];
}

export function fields(meta: CoreMetadata, name: string): string[] {
  const key = name.toLowerCase();
  return meta.headers.filter(([k]) => k.toLowerCase() === key).map(([, v]) => v);
}

/** PEP 503 normalized project name: runs of -, _ and . become -, lower case. */
export const normalizeProjectName = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-');

export interface DistributionFile {
  filetype: 'bdist_wheel' | 'sdist';
  /** The form's pyversion: the wheel's python tag, "source" for an sdist. */
  pyversion: string;
  name: string;
  version: string;
}

/**
 * What a file name says (the wheel spec's {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl,
 * the sdist's {name}-{version}.tar.gz); null for a file that is neither.
 */
export function distributionOf(filename: string): DistributionFile | null {
  const wheel = /^([^-]+)-([^-]+)(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/.exec(filename);
  if (wheel) return { filetype: 'bdist_wheel', pyversion: wheel[3]!, name: wheel[1]!, version: wheel[2]! };
  const sdist = /^(.+)-([^-]+)\.(tar\.gz|zip)$/.exec(filename);
  if (sdist) return { filetype: 'sdist', pyversion: 'source', name: sdist[1]!, version: sdist[2]! };
  return null;
}

const METADATA_VERSIONS = ['1.0', '1.1', '1.2', '2.0', '2.1', '2.2', '2.3', '2.4', '2.5'];

export interface MetadataCheck {
  errors: string[];
  warnings: string[];
}

/**
 * The checks `twine check` and the index make before a file is taken: the metadata is there and
 * of a known version, its name and version agree with the file name, and the version is the
 * release's (PEP 440 spelling: 1.3.0-beta.2 is 1.3.0b2).
 */
export function checkDistribution(filename: string, meta: CoreMetadata | null, release: string): MetadataCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const dist = distributionOf(filename);
  if (dist === null) {
    errors.push(`${filename} is neither a wheel (.whl) nor an sdist (.tar.gz)`);
    return { errors, warnings };
  }
  if (meta === null) {
    errors.push(
      `${filename} has no ${dist.filetype === 'sdist' ? '<name>-<version>/PKG-INFO' : '<name>-<version>.dist-info/METADATA'}`,
    );
    return { errors, warnings };
  }
  const mv = field(meta, 'Metadata-Version');
  if (mv === undefined) errors.push(`${filename}: the metadata has no Metadata-Version`);
  else if (!METADATA_VERSIONS.includes(mv))
    errors.push(`${filename}: Metadata-Version ${mv} is not one an index knows`);
  const name = field(meta, 'Name');
  const version = field(meta, 'Version');
  if (name === undefined) errors.push(`${filename}: the metadata has no Name`);
  if (version === undefined) errors.push(`${filename}: the metadata has no Version`);
  const want = toPep440(release);
  if (version !== undefined && normalizePep440(version) !== normalizePep440(want))
    errors.push(
      `${filename}: the metadata says version ${version}, and the release is ${release} (${want} in PEP 440)`,
    );
  if (name !== undefined && normalizeProjectName(dist.name) !== normalizeProjectName(name))
    errors.push(`${filename}: the file name says project ${dist.name}, and the metadata says ${name}`);
  if (version !== undefined && normalizePep440(dist.version) !== normalizePep440(version))
    errors.push(`${filename}: the file name says version ${dist.version}, and the metadata says ${version}`);
  const description = meta.body !== '' ? meta.body : field(meta, 'Description');
  const type = field(meta, 'Description-Content-Type');
  if (description === undefined || description.trim() === '')
    warnings.push(`${filename}: no long description (the project page will be empty)`);
  else if (type === undefined)
    warnings.push(
      `${filename}: no Description-Content-Type; the index renders the description as reStructuredText (set readme = "README.md" in pyproject.toml)`,
    );
  return { errors, warnings };
}

/** Header name → the legacy API's form field, where it is not the header lower-cased with _ for -. */
const FORM_NAMES: Record<string, string> = {
  'home-page': 'home_page',
  classifier: 'classifiers',
  'project-url': 'project_urls',
  'license-file': 'license_files',
  dynamic: 'dynamic',
};
const REPEATED = new Set([
  'platform',
  'supported_platform',
  'classifiers',
  'requires_dist',
  'provides_dist',
  'obsoletes_dist',
  'requires_external',
  'project_urls',
  'provides_extra',
  'dynamic',
  'license_files',
]);

/**
 * The fields of a legacy API upload (what twine sends, and Warehouse reads), in order; the file
 * itself goes as "content", a signature as "gpg_signature".
 */
export function uploadFields(
  meta: CoreMetadata,
  dist: DistributionFile,
  digests: { sha256: string; md5: string },
): [string, string][] {
  const out: [string, string][] = [
    [':action', 'file_upload'],
    ['protocol_version', '1'],
    ['filetype', dist.filetype],
    ['pyversion', dist.pyversion],
    ['sha256_digest', digests.sha256],
    ['md5_digest', digests.md5],
  ];
  const seen = new Set<string>();
  for (const [header, value] of meta.headers) {
    const key = header.toLowerCase();
    const name = FORM_NAMES[key] ?? key.replace(/-/g, '_');
    if (!REPEATED.has(name) && seen.has(name)) continue;
    seen.add(name);
    out.push([name, value]);
  }
  if (meta.body !== '' && !seen.has('description')) out.push(['description', meta.body]);
  return out;
}

/**
 * The simple index of a repository: given, or the one PyPI and TestPyPI serve beside their upload
 * API, or <repository>/../simple/ for a private index (pypiserver, devpi, Nexus lay it out so).
 */
export function simpleIndexOf(repository: string, index: string | null): string {
  if (index !== null) return index.replace(/\/?$/, '/');
  const url = new URL(repository);
  if (url.host === 'upload.pypi.org') return 'https://pypi.org/simple/';
  if (url.host === 'test.pypi.org') return 'https://test.pypi.org/simple/';
  return new URL('../simple/', url.href.replace(/\/?$/, '/')).href;
}

/** Where trusted publishing asks for the audience and mints a token: the index's own host. */
export function oidcBaseOf(repository: string): string {
  const url = new URL(repository);
  if (url.host === 'upload.pypi.org') return 'https://pypi.org/';
  return `${url.origin}/`;
}

/** The files a PEP 503 project page lists, with the sha256 its links carry. */
export function parseSimpleIndex(html: string): { filename: string; sha256: string | null }[] {
  const out: { filename: string; sha256: string | null }[] = [];
  for (const m of html.matchAll(/<a\s[^>]*href="([^"]+)"[^>]*>([^<]*)<\/a>/gi)) {
    const href = m[1]!.replace(/&amp;/g, '&');
    const text = m[2]!.trim();
    const sha = /#sha256=([0-9a-f]{64})/i.exec(href)?.[1]?.toLowerCase() ?? null;
    const fromHref = decodeURIComponent(href.split('#')[0]!.split('?')[0]!.split('/').pop() ?? '');
    out.push({ filename: text !== '' ? text : fromHref, sha256: sha });
  }
  return out;
}
