import semver from 'semver';

const PRE = new Map([
  ['alpha', 'a'],
  ['a', 'a'],
  ['beta', 'b'],
  ['b', 'b'],
  ['rc', 'rc'],
  ['c', 'rc'],
  ['pre', 'rc'],
  ['preview', 'rc'],
]);

/**
 * Spells a semantic version the PEP 440 way: 1.3.0-beta.2 -> 1.3.0b2, 1.3.0-rc.1 -> 1.3.0rc1.
 * A nightly (1.3.0-beta.2.nightly.20261122.41.gabc1234) becomes a dev release of the next
 * prerelease, 1.3.0b3.dev2026112241, which sorts the same way under PEP 440.
 */
export function toPep440(version: string): string {
  const v = semver.parse(version);
  if (v === null) return version;
  const core = `${v.major}.${v.minor}.${v.patch}`;
  const pre = v.prerelease;
  if (pre.length === 0) return core;
  const nightly = pre.indexOf('nightly');
  if (nightly !== -1) {
    const date = String(pre[nightly + 1] ?? '');
    const distance = String(pre[nightly + 2] ?? '0');
    const anchor = nightly >= 2 ? PRE.get(String(pre[0])) : undefined;
    const n = typeof pre[1] === 'number' ? pre[1] + 1 : 1;
    return `${core}${anchor === undefined ? '' : `${anchor}${n}`}.dev${date}${distance}`;
  }
  const tag = PRE.get(String(pre[0]));
  if (tag !== undefined && pre.length <= 2) return `${core}${tag}${pre.length === 2 ? String(pre[1]) : '0'}`;
  return `${core}.dev0+${pre.join('.')}`;
}

/** PEP 440 normalization of the prerelease spellings, enough to compare what files hold. */
export function normalizePep440(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/^v/, '')
    .replace(
      /[-_.]?(alpha|beta|preview|pre|c|rc|a|b)[-_.]?(\d*)/,
      (_all, tag: string, n: string) => `${PRE.get(tag) ?? tag}${n === '' ? '0' : n}`,
    )
    .replace(/[-_.]?dev[-_.]?(\d*)/, (_all, n: string) => `.dev${n === '' ? '0' : n}`);
}

const SEMVER_PRE = new Map([
  ['a', 'alpha'],
  ['b', 'beta'],
  ['rc', 'rc'],
]);

/**
 * Reads a PEP 440 release or prerelease as a semantic version: 1.0.0b1 -> 1.0.0-beta.1,
 * 1.0.0rc2 -> 1.0.0-rc.2, 1.0.0a1 -> 1.0.0-alpha.1 (spellings normalized first: 1.0.0-beta1,
 * 1.0.0.b1). Null for anything else (dev, post and local versions have no faithful semver form).
 */
export function fromPep440(text: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?$/.exec(normalizePep440(text));
  if (m === null) return null;
  const core = `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`;
  return m[4] === undefined ? core : `${core}-${SEMVER_PRE.get(m[4])!}.${Number(m[5])}`;
}
