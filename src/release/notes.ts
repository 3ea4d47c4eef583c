import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import semver from 'semver';
import { headingAnchor, upgradingHeading } from '../core/changelog/upgrading.ts';
import { parseChangelog } from '../core/changelog/document.ts';
import { compareUrl, linkContext } from '../core/changelog/links.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { DEFAULT_NOTES_TEMPLATE } from '../core/notes/default-template.ts';
import {
  fillPlaceholders,
  firstLine,
  renderNotes,
  sectionsFromBlock,
  type NotesContext,
} from '../core/notes/render.ts';
import { channelOf, isNightly, parseVersionArgument } from '../core/version/tags.ts';
import { buildChangelog } from './changelog.ts';
import type { RepositoryInfo } from '../git/repo.ts';
import { openHistory } from './history.ts';
import { markersOf } from './markers.ts';
import { computeNext } from './next.ts';

export interface NotesOptions {
  cwd: string;
  /** The repository, when the caller has opened it already. */
  repo?: RepositoryInfo;
  config: ResolvedConfig;
  /** The version to describe; the newest release HEAD reaches when null. */
  version: string | null;
  template: string | null;
  date: string;
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Notes for an untagged version: only the one being cut (in the changelog file already, or what `next` decides). */
async function requireUpcoming(
  options: NotesOptions,
  history: Awaited<ReturnType<typeof openHistory>>,
  version: string,
  changelog: string | null,
): Promise<void> {
  const inFile =
    changelog !== null && parseChangelog(changelog).blocks.some((b) => b.kind === 'release' && b.version === version);
  if (inFile) return;
  const channel = channelOf(version, options.config.stableChannel);
  const next = options.config.channels.includes(channel)
    ? await computeNext({ cwd: options.cwd, repo: history.repo, config: options.config, channel, releaseAs: null })
    : null;
  if (next?.next === version) return;
  throw new SlipwayError(
    'NOTES_NO_SECTION',
    `${version} was never released (no tag ${options.config.tagPrefix}${version}) and is not the next ${channel} release (${next?.next ?? 'nothing to release'}); name a released version (git tag lists them), or write its section into ${options.config.changelog.file} first`,
  );
}

/**
 * Release notes for a version. The entries come from the version's section in the changelog
 * file when it has one (what the maintainer curated), otherwise from the commits.
 */
export async function buildNotes(options: NotesOptions): Promise<{ markdown: string; context: NotesContext }> {
  const { config } = options;
  const history = await openHistory(options.cwd, config.tagPrefix, options.repo);
  const root = history.repo.root;
  let version = options.version === null ? null : parseVersionArgument(options.version, config.tagPrefix);
  if (version === null) {
    const latest = await history.latestReachable((t) => !isNightly(t.version));
    if (latest === null)
      throw new SlipwayError('NO_RELEASE', 'there is no release tag yet; name the version: slipway notes 0.1.0');
    version = latest.version;
  }
  const tagged = history.tags.releases.some((t) => t.version === version);
  const changelogPath = join(root, config.changelog.file);
  const existing = await readOptional(changelogPath);
  if (!tagged) await requireUpcoming(options, history, version, existing);
  const built = await buildChangelog({
    cwd: root,
    repo: history.repo,
    config,
    existing,
    mode: 'update',
    release: tagged ? null : version,
    date: options.date,
  });
  const block = parseChangelog(built.text).blocks.find((b) => b.kind === 'release' && b.version === version);
  if (!block || block.kind !== 'release') {
    throw new SlipwayError(
      'NOTES_NO_SECTION',
      `${version} is neither a release of this branch nor the next one; run slipway next to see what comes next`,
    );
  }
  const sections = sectionsFromBlock(block.lines);
  const versions = history.tags.releases.map((t) => t.version).filter((v) => !isNightly(v));
  const stable = semver.prerelease(version) === null;
  const previousVersion =
    versions.find((v) => semver.lt(v, version) && (!stable || semver.prerelease(v) === null)) ?? null;
  const breakingChanges = sections.flatMap((s) => s.entries.filter((e) => e.includes('**BREAKING**')));
  const values = {
    version,
    tag: `${config.tagPrefix}${version}`,
    previousVersion: previousVersion ?? '',
    major: String(semver.major(version)),
  };
  // The markers come from the commits, as `next --json` and the manifest's do.
  const tagCommit = history.tags.releases.find((t) => t.version === version)?.commit ?? history.repo.head?.sha ?? null;
  const markers = tagCommit === null ? null : await markersOf(root, config, version, tagCommit);
  const ctx = linkContext(config);
  const context: NotesContext = {
    name: config.name ?? basename(root),
    version,
    tag: values.tag,
    date: block.date,
    previousVersion,
    channel: channelOf(version, config.stableChannel),
    prerelease: !stable,
    breaking: breakingChanges.length > 0 || markers?.breaking === true,
    security: sections.some((s) => s.title.toLowerCase() === 'security') || (markers?.security ?? null) !== null,
    severity: markers?.security?.severity ?? null,
    advisory: markers?.security?.advisory ?? null,
    highlights: [...breakingChanges, ...(sections.find((s) => s.title === 'Added')?.entries ?? [])].map(firstLine),
    sections,
    breakingChanges,
    migrationGuide:
      config.notes.migrationGuide !== null
        ? fillPlaceholders(config.notes.migrationGuide, values)
        : upgradingLink(config, version, versions, values.tag),
    install: config.notes.install === null ? null : fillPlaceholders(config.notes.install, values),
    compareUrl: compareUrl(ctx, previousVersion, version),
    links: config.notes.links.map((l) => ({ label: l.label, url: fillPlaceholders(l.url, values) })),
  };
  const compare = context.compareUrl;
  if (compare !== null && !context.links.some((l) => l.url === compare))
    context.links.push({
      label: previousVersion === null ? 'Release' : `Changes since ${config.tagPrefix}${previousVersion}`,
      url: compare,
    });
  let template = DEFAULT_NOTES_TEMPLATE;
  let source = 'the default release notes template';
  const templatePath = options.template ?? (config.notes.template === null ? null : join(root, config.notes.template));
  if (templatePath !== null) {
    const text = await readOptional(templatePath);
    if (text === null)
      throw new SlipwayError(
        'TEMPLATE_MISSING',
        `release notes template ${templatePath} does not exist; fix notes.template in slipway.json or --template`,
      );
    template = text;
    source = templatePath;
  }
  return { markdown: renderNotes(template, context, source), context };
}

/**
 * Where the notes' migration guide points when notes.migrationGuide is not set: the section of
 * UPGRADING.md a new major opens (on the repository at the tag, or the file path without one).
 */
function upgradingLink(
  config: ResolvedConfig,
  version: string,
  versions: readonly string[],
  tag: string,
): string | null {
  if (config.upgrading.file === null) return null;
  const base = versions.find((v) => semver.lt(v, version) && semver.prerelease(v) === null) ?? null;
  const heading = upgradingHeading(version, base);
  if (heading === null) return null;
  const repo = linkContext(config).repository;
  const file = config.upgrading.file;
  return `${repo === null ? file : `${repo}/blob/${tag}/${file}`}#${headingAnchor(heading)}`;
}
