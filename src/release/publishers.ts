import { createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';
import { webhookPayload } from '../core/publish/announce.ts';
import { forgeRepository, repositoryProblem, type ForgeKind } from '../core/publish/forge.ts';
import { channelOf } from '../core/version/tags.ts';
import { sha256 } from '../io/hash.ts';
import { KeyRing } from '../feed/key-ring.ts';
import { openStore } from '../feed/store.ts';
import type { FeedContext } from './feed-context.ts';
import type { PublishOutcome } from './publish.ts';
import type { ForgeAsset } from './publish-forge.ts';
import { networkReason, redact } from './redact.ts';
import { renderSha256Sums, signBlob } from './release-view.ts';
import { command, fill, placeholders, runStep } from './run-step.ts';

/**
 * The publish targets of release.publish, one function for each: what `slipway release` runs as
 * its publish step and `slipway publish-to <target> <version>` runs alone. Every target is
 * idempotent (the same content again is a no-op, other content is refused), so a resumed release
 * runs them all again safely.
 */

export type PublishTarget = ResolvedConfig['release']['publish'][number];

export const targetName = (t: PublishTarget): string => (typeof t === 'string' ? t : t.name);

export interface PublishInput {
  root: string;
  config: ResolvedConfig;
  env: NodeJS.ProcessEnv;
  version: string;
  tag: string | null;
  channel: string;
  commit: string | null;
  /** The release's artifacts (absolute paths), checked and hashed by the release. */
  artifacts: readonly string[];
  notes: string;
  now: Date;
  allow: string | null;
  dryRun: boolean;
  onOutput?: (chunk: Buffer) => void;
  onProgress?: (line: string) => void;
}

export interface TargetOutcome {
  target: string;
  outcome: 'published' | 'unchanged' | 'planned';
  detail: string;
  /** The release's page on that target, when it has one. */
  url: string | null;
  feed?: PublishOutcome;
}

const FORGES: readonly string[] = ['github', 'gitlab', 'gitea'];
export const BUILT_IN = ['feed', 'npm', 'pypi', 'github', 'gitlab', 'gitea'] as const;

/** The feed of release.feed (a folder or s3://), its paths taken from the repository. */
export function releaseFeed(
  root: string,
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<FeedContext> {
  const feed = config.release.feed;
  if (feed === null) throw new SlipwayError('USAGE', 'release.feed is null; set it to publish to a feed');
  const at = (p: string): string => (p.startsWith('s3://') || isAbsolute(p) ? p : join(root, p));
  return openStore(at(feed.dir), env).then((store): FeedContext => ({
    config,
    repoRoot: root,
    store,
    keys: new KeyRing({ dir: at(feed.keys), env }),
    now,
  }));
}

/**
 * What each target needs before anything is written (a release checks it in its plan): the
 * tokens are there, the repository is named. Returns what was checked.
 */
export function preflight(
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  targets: readonly PublishTarget[] = config.release.publish,
  announcements = true,
): string[] {
  const checks: string[] = [];
  const invalid = (why: string): SlipwayError => new SlipwayError('CONFIG_INVALID', why);
  const channel = (where: string, c: string): void => {
    if (!config.channels.includes(c))
      throw invalid(
        `${where} names the channel "${c}", which is not one of ${config.channels.join(', ')} ("channels")`,
      );
  };
  for (const t of targets) {
    if (typeof t !== 'string' && (BUILT_IN as readonly string[]).includes(t.name))
      throw invalid(`release.publish has a command named "${t.name}", the name of a built-in target; rename it`);
    if (t === 'pypi') {
      const p = config.release.pypi;
      const trusted =
        p.trustedPublishing === true ||
        (p.trustedPublishing === 'auto' && env.ACTIONS_ID_TOKEN_REQUEST_URL !== undefined);
      if (!env[p.tokenEnv] && !trusted)
        throw new SlipwayError(
          'TOKEN_MISSING',
          `release.publish has "pypi", and uploading to ${p.repository} needs a token in $${p.tokenEnv} (${env[p.tokenEnv] === '' ? 'it is empty' : 'it is not set'}), or trusted publishing from CI; set it, or name another variable in release.pypi.tokenEnv`,
        );
      checks.push(`pypi: ${p.repository} (${env[p.tokenEnv] ? `$${p.tokenEnv}` : 'trusted publishing'})`);
    } else if (typeof t === 'string' && FORGES.includes(t)) {
      const kind = t as ForgeKind;
      const f = config.release[kind];
      const repository = forgeRepository(f.repository, config.repository);
      if (repository === null)
        throw invalid(
          `release.publish has "${t}", and neither release.${t}.repository nor "repository" names the repository; set release.${t}.repository`,
        );
      const problem = repositoryProblem(kind, repository);
      if (problem !== null) throw invalid(`release.${t}.repository is "${repository}": ${problem}`);
      if (!env[f.tokenEnv])
        throw new SlipwayError(
          'TOKEN_MISSING',
          `release.publish has "${t}", and creating its release needs a token in $${f.tokenEnv} (${env[f.tokenEnv] === '' ? 'it is empty' : 'it is not set'}); set it, or name another variable in release.${t}.tokenEnv`,
        );
      checks.push(`${t}: ${repository} on ${f.baseUrl} ($${f.tokenEnv})`);
    }
  }
  (announcements ? config.release.announce : []).forEach((a, i) => {
    for (const c of a.channels ?? []) channel(`release.announce[${i}].channels`, c);
    if (a.urlEnv !== undefined) {
      const value = env[a.urlEnv];
      if (!value)
        throw new SlipwayError(
          'TOKEN_MISSING',
          `release.announce has a ${a.format} webhook in $${a.urlEnv}, which is ${value === '' ? 'empty' : 'not set'}; set it or remove the announcement`,
        );
      if (!URL.canParse(value) || !/^https?:/.test(value))
        throw invalid(
          `$${a.urlEnv} does not hold a web address (expected https://…); the ${a.format} webhook cannot be posted to`,
        );
    }
  });
  return checks;
}

/** What a forge release carries: the artifacts, SHA256SUMS, and its signature when the feed's release key is there. */
async function forgeAssets(input: PublishInput): Promise<{ assets: ForgeAsset[]; signed: boolean }> {
  const assets: ForgeAsset[] = [];
  for (const path of input.artifacts) {
    const data = await readFile(path);
    assets.push({ name: basename(path), data, sha256: sha256(data) });
  }
  const sums = Buffer.from(renderSha256Sums(assets));
  assets.push({ name: 'SHA256SUMS', data: sums, sha256: sha256(sums) });
  let signed = false;
  if (input.config.release.feed !== null) {
    const ctx = await releaseFeed(input.root, input.config, input.env, input.now);
    const pem = await ctx.keys.releasePem();
    if (pem !== null) {
      const key = createPrivateKey({ key: pem, format: 'pem', passphrase: ctx.keys.passphrase() });
      const sig = Buffer.from(`${signBlob(key, sums)}\n`);
      const pub = Buffer.from(createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString());
      const publicKey = createPublicKey(key);
      assets.push({
        name: 'SHA256SUMS.sig',
        data: sig,
        sha256: sha256(sig),
        // ECDSA signs with a fresh nonce: a signature attached by an earlier run is kept when it verifies.
        same: (attached) =>
          verify(
            'sha256',
            sums,
            { key: publicKey, dsaEncoding: 'der' },
            Buffer.from(Buffer.from(attached).toString('utf8').trim(), 'base64'),
          ),
      });
      assets.push({ name: 'cosign.pub', data: pub, sha256: sha256(pub) });
      signed = true;
    }
  }
  return { assets, signed };
}

export function projectName(config: ResolvedConfig, root: string): string {
  return config.name ?? basename(root);
}

/** Publishes the release to one target. */
export async function publishTarget(target: PublishTarget, input: PublishInput): Promise<TargetOutcome> {
  const { config } = input;
  const say = (outcome: 'published' | 'unchanged' | 'planned') =>
    outcome === 'published' ? 'published' : outcome === 'unchanged' ? 'already there' : 'would publish';
  if (target === 'feed') {
    if (config.release.feed === null)
      throw new SlipwayError(
        'USAGE',
        'release.feed is null, so there is no feed to publish to; set release.feed ({"dir", "keys"})',
      );
    const ctx = await releaseFeed(input.root, config, input.env, input.now);
    if (input.dryRun) {
      await ctx.keys.online([input.channel]);
      return {
        target: 'feed',
        outcome: 'planned',
        detail: `feed: would publish ${input.version} on ${input.channel} to ${config.release.feed.dir}`,
        url: null,
      };
    }
    // Each target's module is loaded when it publishes: a PyPI upload never loads octokit or TUF.
    const { publish } = await import('./publish.ts');
    const r = await publish(ctx, {
      version: input.version,
      channel: input.channel,
      files: [...input.artifacts],
      commit: input.commit ?? 'HEAD',
      notes: input.notes,
      allow: input.allow,
    });
    // The channel's lifecycle table, refreshed from the tags: instances on old lines are warned.
    if (r.outcome === 'published' && ctx.repoRoot !== null) {
      const { writeFeedLifecycle } = await import('./lifecycle-feed.ts');
      await writeFeedLifecycle(ctx.store, await ctx.keys.online([input.channel]), ctx.repoRoot, config, input.now);
    }
    return {
      target: 'feed',
      outcome: r.outcome === 'published' ? 'published' : 'unchanged',
      detail: `${r.outcome === 'published' ? 'published' : 'already published'} ${r.version} on ${r.channel}${r.security ? `, security ${r.security.severity}` : ''}${r.breaking ? ', breaking' : ''}${r.checks.length > 0 ? `; ${r.checks.join('; ')}` : ''}`,
      url: r.releaseView,
      feed: r,
    };
  }
  if (target === 'npm') {
    const said: string[] = [];
    let changed = false;
    const { publishNpm } = await import('./publish-npm.ts');
    for (const dir of config.release.npm.packages) {
      const r = await publishNpm({
        dir: join(input.root, dir),
        version: input.version,
        channel: input.channel,
        config,
        env: input.env,
        dryRun: input.dryRun,
      });
      changed ||= r.outcome === 'published';
      said.push(
        `${say(r.outcome)} ${r.name}@${r.version} (dist-tag ${r.distTag}${r.provenance ? ', provenance' : ''})`,
      );
    }
    return {
      target: 'npm',
      outcome: input.dryRun ? 'planned' : changed ? 'published' : 'unchanged',
      detail: `npm: ${said.join(', ')}`,
      url: null,
    };
  }
  if (target === 'pypi') {
    const { publishPypi } = await import('./publish-pypi.ts');
    const r = await publishPypi({
      artifacts: input.artifacts,
      version: input.version,
      config,
      env: input.env,
      dryRun: input.dryRun,
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    return {
      target: 'pypi',
      outcome: r.outcome,
      detail: `pypi: ${r.files.map((f) => `${say(f.outcome)} ${f.filename}${f.signed ? ' (+.asc)' : ''}`).join(', ')} on ${r.repository}${r.warnings.length > 0 ? `; warnings: ${r.warnings.join('; ')}` : ''}`,
      url: null,
    };
  }
  if (typeof target === 'string') {
    if (input.tag === null)
      throw new SlipwayError(
        'USAGE',
        `a ${target} release needs a tag, and a nightly has none; publish nightlies to the feed`,
      );
    const { assets, signed } = await forgeAssets(input);
    const { publishForge } = await import('./publish-forge.ts');
    const r = await publishForge({
      forge: target,
      config,
      env: input.env,
      project: projectName(config, input.root),
      version: input.version,
      tag: input.tag,
      commit: input.commit,
      prerelease: input.channel !== config.stableChannel,
      notes: input.notes,
      signed,
      assets,
      dryRun: input.dryRun,
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    const files =
      r.uploaded.length > 0
        ? `, ${input.dryRun ? 'would upload' : 'uploaded'} ${r.uploaded.join(', ')}`
        : r.kept.length > 0
          ? ', assets already attached'
          : '';
    return {
      target,
      outcome: r.outcome,
      detail: `${target}: release ${input.tag} ${r.release} on ${r.repository}${files}${r.url ? ` (${r.url})` : ''}`,
      url: r.url,
    };
  }
  const values = placeholders(input.version, input.tag, input.channel);
  const argv = target.run.flatMap((arg) => (arg === '{artifacts}' ? [...input.artifacts] : [fill(arg, values)]));
  if (input.dryRun)
    return {
      target: target.name,
      outcome: 'planned',
      detail: `${target.name}: would run ${argv.join(' ')}`,
      url: null,
    };
  const r = await runStep(
    { ...command(target.name, argv, values, target.env), cwd: input.root },
    input.onOutput ?? (() => undefined),
  );
  if (r.status !== 0)
    throw new SlipwayError(
      'BUILD_FAILED',
      `publisher "${target.name}" failed (${r.signal ?? `exit ${r.status}`}): ${argv.join(' ')}${r.tail === '' ? '' : `\n${r.tail}`}`,
    );
  return { target: target.name, outcome: 'published', detail: `${target.name}: done`, url: null };
}

/** Posts the announcements of release.announce for this channel; returns what was said where. */
export async function announce(input: PublishInput, outcomes: readonly TargetOutcome[]): Promise<string[]> {
  if (input.config.release.announce.length === 0) return [];
  const { markersOf } = await import('./markers.ts');
  const markers = await markersOf(input.root, input.config, input.version, input.commit ?? 'HEAD').catch(() => null);
  const url = outcomes.find((o) => o.url !== null && /^https?:/.test(o.url))?.url ?? null;
  const said: string[] = [];
  for (const a of input.config.release.announce) {
    if (a.channels !== undefined && !a.channels.includes(input.channel)) continue;
    const address = a.url ?? (a.urlEnv === undefined ? undefined : input.env[a.urlEnv]);
    if (address === undefined)
      throw new SlipwayError('TOKEN_MISSING', `the ${a.format} webhook's address is not in $${a.urlEnv}`);
    const where = `the ${a.format} webhook${a.urlEnv ? ` in $${a.urlEnv}` : ''}`;
    const body = webhookPayload(a.format, {
      project: projectName(input.config, input.root),
      version: input.version,
      channel: input.channel,
      url,
      security: markers?.security ?? null,
      breaking: markers?.breaking ?? false,
      notes: input.notes,
    });
    if (input.dryRun) {
      said.push(`would announce on ${where}`);
      continue;
    }
    let failure: string | null = null;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await fetch(address, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'slipway' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      }).catch((e: Error) => e);
      if (!(r instanceof Error) && r.ok) {
        failure = null;
        break;
      }
      failure = r instanceof Error ? networkReason(r) : `${r.status} ${r.statusText}`;
      if (!(r instanceof Error) && r.status < 500 && r.status !== 429) break;
      await new Promise((done) => setTimeout(done, 500 * attempt));
    }
    if (failure !== null)
      throw new SlipwayError('ANNOUNCE_FAILED', redact(`announcing on ${where} failed: ${failure}`, [address]));
    said.push(`announced on ${where}`);
  }
  return said;
}

/** The channel a version is published on when none is named: its own (1.2.0-beta.1 → beta). */
export const channelFor = (config: ResolvedConfig, version: string): string => channelOf(version, config.stableChannel);
