import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdtemp, copyFile } from 'node:fs/promises';
import { SlipwayError } from '../../core/errors.ts';
import { defaultConfig } from '../../core/config/parse.ts';
import type { ResolvedConfig } from '../../core/config/schema.ts';
import { parseVersionArgument } from '../../core/version/tags.ts';
import { SEVERITIES, selectUpdate, visibleChannels, type Severity } from '../../core/feed/manifest.ts';
import { loadConfig } from '../../project/config-file.ts';
import { openRepository } from '../../git/repo.ts';
import { runGit } from '../../git/run.ts';
import { createKeys, loadKey, type KeyAlgorithm, type SigningKey } from '../../feed/keys.ts';
import { FeedSession } from '../../feed/session.ts';
import { initFeed } from '../../feed/init.ts';
import { locateRelease } from '../../release/locate.ts';
import { promoteRelease } from '../../release/promote-release.ts';
import { publishRelease } from '../../release/publish-release.ts';
import { pruneChannel } from '../../release/prune-channel.ts';
import { yankRelease } from '../../release/yank-release.ts';
import { type FeedKeys, type OnlineKeys } from '../../feed/metadata.ts';
import { checkPromotion, type RuleContext } from '../../feed/rules.ts';
import { feedStatus, refreshFeed, rotateKey } from '../../feed/maintain.ts';
import { openStore, type FeedStore } from '../../feed/store.ts';
import { writeReleaseView } from '../../release/release-view.ts';
import { createOutput } from '../output.ts';

interface FeedFlags {
  keys?: string;
  feed?: string;
  algorithm?: string;
  channel?: string;
  to?: string;
  notes?: string;
  commit?: string;
  security?: string;
  advisory?: string;
  breaking?: boolean;
  minimumVersion?: string;
  reason?: string;
  url?: string;
  trustedRoot?: string;
  host?: string;
  port?: string;
  keep?: string;
  offlineKeys?: boolean;
  dryRun?: boolean;
  json?: boolean;
  cwd?: string;
  config?: string;
}

const TOP_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
const RELEASE_KEY = 'release';

interface Project {
  config: ResolvedConfig;
  repoRoot: string | null;
}

/** slipway.json when run in a repository, the defaults otherwise. */
async function project(flags: FeedFlags): Promise<Project> {
  try {
    const repo = await openRepository(resolve(flags.cwd ?? process.cwd()));
    return {
      config: (await loadConfig(repo.root, flags.config === undefined ? undefined : resolve(flags.config))).config,
      repoRoot: repo.root,
    };
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'NOT_A_REPOSITORY')
      return { config: defaultConfig(), repoRoot: null };
    throw error;
  }
}

const keyDir = (flags: FeedFlags): string => resolve(flags.keys ?? 'keys');
const store = (flags: FeedFlags): Promise<FeedStore> =>
  openStore(flags.feed?.startsWith('s3://') ? flags.feed : resolve(flags.feed ?? 'feed'));
const load = (flags: FeedFlags, role: string): Promise<SigningKey> => loadKey(role, { dir: keyDir(flags) });
const tryLoad = (flags: FeedFlags, role: string): Promise<SigningKey | null> =>
  load(flags, role).catch((error: unknown) => {
    if (error instanceof SlipwayError && error.code === 'KEY_MISSING') return null;
    throw error;
  });

async function onlineKeys(flags: FeedFlags, channels: readonly string[]): Promise<OnlineKeys> {
  const keys: OnlineKeys = {
    snapshot: await load(flags, 'snapshot'),
    timestamp: await load(flags, 'timestamp'),
    channels: {},
  };
  for (const c of channels) keys.channels[c] = await load(flags, c);
  return keys;
}

/** slipway keys init: a key per TUF role and per channel, and the ECDSA P-256 release signing key. */
export async function keysInit(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const algorithm = (flags.algorithm ?? 'ed25519') as KeyAlgorithm;
  if (algorithm !== 'ed25519' && algorithm !== 'ecdsa')
    throw new SlipwayError('USAGE', `--algorithm expects ed25519 or ecdsa, got "${flags.algorithm}"`);
  const roles = [...TOP_ROLES, ...(await project(flags)).config.channels];
  if (flags.dryRun) {
    out.result(`would create ${roles.length + 1} keys in ${keyDir(flags)}: ${[...roles, RELEASE_KEY].join(', ')}`, {
      dir: keyDir(flags),
      roles: [...roles, RELEASE_KEY],
      dryRun: true,
    });
    return 0;
  }
  const created = [
    ...(await createKeys(roles, algorithm, { dir: keyDir(flags) })),
    ...(await createKeys([RELEASE_KEY], 'ecdsa', { dir: keyDir(flags) })),
  ];
  out.result(
    [
      `created ${created.length} keys in ${keyDir(flags)} (private keys encrypted with $SLIPWAY_KEY_PASSPHRASE):`,
      ...created.map((k) => `  ${k.role.padEnd(10)} ${k.key.keyID}`),
      'Keep root.pem and targets.pem offline; CI needs only snapshot, timestamp, release and the channel keys.',
    ].join('\n'),
    { dir: keyDir(flags), keys: created.map((k) => ({ role: k.role, keyID: k.key.keyID })) },
  );
  return 0;
}

/** slipway keys rotate <role> */
export async function keysRotate(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const role = args[0]!;
  const algorithm = (flags.algorithm ?? 'ed25519') as KeyAlgorithm;
  if (algorithm !== 'ed25519' && algorithm !== 'ecdsa')
    throw new SlipwayError('USAGE', `--algorithm expects ed25519 or ecdsa, got "${flags.algorithm}"`);
  if (flags.dryRun) {
    const what =
      role === 'root'
        ? 'write N+1.root.json signed by the old and the new root key'
        : TOP_ROLES.includes(role as never)
          ? `write N+1.root.json with the new ${role} key and sign ${role} again`
          : `sign targets.json with the new ${role} key and sign ${role} again`;
    out.result(`would create a new ${role} key and ${what}`, { role, dryRun: true });
    return 0;
  }
  const e = (await project(flags)).config.feed.expiry;
  const r = await rotateKey(await store(flags), { role, algorithm, dir: keyDir(flags), now: new Date(), expiry: e });
  out.result(
    `rotated ${role}: ${r.oldKeyID.slice(0, 12)}… → ${r.newKeyID.slice(0, 12)}… (root is at version ${r.rootVersion}; the old private key is kept as ${role}.retired-*.pem)`,
    r,
  );
  return 0;
}

/** slipway feed init: the first signed metadata of a new feed. */
export async function feedInit(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const { config } = await project(flags);
  const keys: FeedKeys = {
    root: await load(flags, 'root'),
    targets: await load(flags, 'targets'),
    snapshot: await load(flags, 'snapshot'),
    timestamp: await load(flags, 'timestamp'),
    channels: {},
  };
  for (const c of config.channels) keys.channels[c] = await load(flags, c);
  const s = await store(flags);
  if (flags.dryRun) {
    out.result(`would create a feed in ${s.location} with channels ${config.channels.join(', ')}`, {
      feed: s.location,
      channels: config.channels,
      dryRun: true,
    });
    return 0;
  }
  await initFeed(s, keys, { now: new Date(), expiry: config.feed.expiry });
  out.result(`created a feed in ${s.location}; instances trust its metadata/1.root.json`, {
    feed: s.location,
    channels: config.channels,
  });
  return 0;
}

async function commitOf(flags: FeedFlags, p: Project): Promise<string | null> {
  if (p.repoRoot === null) return flags.commit ?? null;
  const r = await runGit(p.repoRoot, ['rev-parse', '--verify', '-q', `${flags.commit ?? 'HEAD'}^{commit}`], {
    okStatuses: [0, 1, 128],
  });
  if (r.status !== 0) {
    if (flags.commit === undefined) return null;
    throw new SlipwayError('USAGE', `--commit ${flags.commit} is not a commit of ${p.repoRoot}`);
  }
  return r.stdout.trim();
}

const ruleContext = (p: Project): RuleContext => ({
  channels: p.config.channels,
  mainBranch: p.config.feed.mainBranch,
  hotfixBranches: p.config.feed.hotfixBranches,
  tagPrefix: p.config.tagPrefix,
  repoRoot: p.repoRoot,
});

function severity(flags: FeedFlags): { severity: Severity; advisory: string | null } | null {
  if (flags.security === undefined) {
    if (flags.advisory !== undefined) throw new SlipwayError('USAGE', '--advisory goes with --security <severity>');
    return null;
  }
  if (!SEVERITIES.includes(flags.security as Severity))
    throw new SlipwayError('USAGE', `--security expects one of ${SEVERITIES.join(', ')}, got "${flags.security}"`);
  return { severity: flags.security as Severity, advisory: flags.advisory ?? null };
}

/** Applies the configured retention to a channel after a change (e.g. the last 14 nightlies). */
async function retain(
  s: FeedStore,
  keys: OnlineKeys,
  config: ResolvedConfig,
  channel: string,
  now: Date,
): Promise<string[]> {
  const keep = config.feed.retention[channel];
  if (keep === undefined) return [];
  return (await pruneChannel(s, keys, { channel, keep, now, expiry: config.feed.expiry })).pruned;
}

/** slipway publish <version> --channel <channel> <files...> */
export async function publish(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const [raw, ...files] = args;
  const p = await project(flags);
  const version = parseVersionArgument(raw ?? '', p.config.tagPrefix);
  const channel = flags.channel!;
  if (files.length === 0)
    throw new SlipwayError('USAGE', 'name the artifacts to publish, e.g. dist/app-linux-amd64.tar.gz');
  if (!p.config.channels.includes(channel))
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${channel}" is not one of ${p.config.channels.join(', ')} (slipway.json "channels")`,
    );
  const s = await store(flags);
  const commit = await commitOf(flags, p);
  const session = await FeedSession.open(s);
  const verdict = p.config.feed.enforcePromotion
    ? await checkPromotion(ruleContext(p), session, { version, channel, commit })
    : { hotfix: false, checks: ['promotion rules off (feed.enforcePromotion)'] };
  const notes =
    flags.notes === undefined
      ? null
      : await readFile(resolve(flags.notes), 'utf8').catch((error: unknown) => {
          throw new SlipwayError(
            'USAGE',
            `cannot read --notes ${flags.notes}: ${(error as NodeJS.ErrnoException).code}`,
            { cause: error },
          );
        });
  const keys = await onlineKeys(flags, [channel]);
  if (flags.dryRun) {
    out.result(
      [`would publish ${version} on ${channel}: ${files.join(', ')}`, ...verdict.checks.map((c) => `  ✓ ${c}`)].join(
        '\n',
      ),
      { version, channel, files, commit, checks: verdict.checks, hotfix: verdict.hotfix, dryRun: true },
    );
    return 0;
  }
  const now = new Date();
  const r = await publishRelease(s, keys, {
    version,
    channel,
    files: files.map((f) => resolve(f)),
    now,
    expiry: p.config.feed.expiry,
    commit,
    security: severity(flags),
    breaking: flags.breaking === true,
    minimumVersion: flags.minimumVersion ?? null,
    hotfix: verdict.hotfix,
    notes: notes ?? '',
    progress: (t) => out.progress(t),
  });
  const pruned = r.changed ? await retain(s, keys, p.config, channel, now) : [];
  let view: string | null = null;
  const releasePem = await readFile(join(keyDir(flags), `${RELEASE_KEY}.pem`), 'utf8').catch(() => null);
  if (releasePem !== null) {
    view = (
      await writeReleaseView({
        feedDir: s,
        version,
        files: r.targets.map((t) => ({ name: t.name, sha256: t.sha256 })),
        notes,
        signingKeyPem: releasePem,
        passphrase: process.env.SLIPWAY_KEY_PASSPHRASE ?? '',
      })
    ).dir;
  }
  out.result(
    [
      `${r.changed ? 'published' : 'already published (same bytes)'} ${version} on ${channel}${r.manifest.hotfix ? ' (hotfix)' : ''}:`,
      ...r.targets.map((t) => `  ${t.path}  sha256 ${t.sha256}  ${t.length} bytes`),
      ...verdict.checks.map((c) => `  ✓ ${c}`),
      ...(pruned.length > 0 ? [`pruned ${pruned.length} old ${channel} release(s): ${pruned.join(', ')}`] : []),
      ...(view ? [`SHA256SUMS, SHA256SUMS.sig${notes === null ? '' : ', notes.md'} in ${view}`] : []),
    ].join('\n'),
    {
      version,
      channel,
      changed: r.changed,
      manifest: r.manifest,
      targets: r.targets,
      checks: verdict.checks,
      pruned,
      releaseView: view,
    },
  );
  return 0;
}

/** slipway promote <version> --to <channel> */
export async function promote(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const p = await project(flags);
  const version = parseVersionArgument(args[0] ?? '', p.config.tagPrefix);
  const to = flags.to!;
  if (!p.config.channels.includes(to))
    throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${to}" is not one of ${p.config.channels.join(', ')}`);
  const s = await store(flags);
  const session = await FeedSession.open(s);
  const where = await locateRelease(session, version);
  if (where.length === 0)
    throw new SlipwayError(
      'NOT_PUBLISHED',
      `${version} was never published to this feed; publish it first (slipway publish ${version} --channel <channel> <files…>)`,
    );
  if (
    !where.some((w) => p.config.channels.indexOf(w.channel) < p.config.channels.indexOf(to)) &&
    !where.some((w) => w.channel === to)
  ) {
    throw new SlipwayError(
      'PROMOTION_RULE',
      `${version} is on ${where.map((w) => w.channel).join(', ')}; promotion goes to a more stable channel than that`,
    );
  }
  const commit = where[0]!.manifest.commit;
  const verdict = p.config.feed.enforcePromotion
    ? await checkPromotion(ruleContext(p), session, { version, channel: to, commit })
    : { hotfix: false, checks: [] };
  const keys = await onlineKeys(flags, [to]);
  if (flags.dryRun) {
    out.result(
      [`would promote ${version} from ${where[0]!.channel} to ${to}`, ...verdict.checks.map((c) => `  ✓ ${c}`)].join(
        '\n',
      ),
      { version, to, from: where[0]!.channel, checks: verdict.checks, dryRun: true },
    );
    return 0;
  }
  const r = await promoteRelease(s, keys, {
    version,
    to,
    hotfix: verdict.hotfix,
    now: new Date(),
    expiry: p.config.feed.expiry,
  });
  out.result(
    [
      r.changed ? `promoted ${version} from ${r.from} to ${to}` : `${version} is on ${to} already`,
      ...verdict.checks.map((c) => `  ✓ ${c}`),
    ].join('\n'),
    { version, to, from: r.from, changed: r.changed, checks: verdict.checks, hotfix: r.manifest.hotfix },
  );
  return 0;
}

/** slipway yank <version> --reason "…" */
export async function yank(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const p = await project(flags);
  const version = parseVersionArgument(args[0] ?? '', p.config.tagPrefix);
  const reason = flags.reason ?? '';
  if (reason.trim() === '')
    throw new SlipwayError('USAGE', 'give the reason with --reason "…"; instances and the feed show it');
  const s = await store(flags);
  const session = await FeedSession.open(s);
  const where = await locateRelease(session, version);
  if (where.length === 0)
    throw new SlipwayError('NOT_PUBLISHED', `${version} was never published to this feed, so there is nothing to yank`);
  if (flags.dryRun) {
    out.result(`would yank ${version} from ${where.map((w) => w.channel).join(', ')}: ${reason}`, {
      version,
      channels: where.map((w) => w.channel),
      reason,
      dryRun: true,
    });
    return 0;
  }
  const keys = await onlineKeys(
    flags,
    where.map((w) => w.channel),
  );
  const r = await yankRelease(s, keys, { version, reason, now: new Date(), expiry: p.config.feed.expiry });
  out.result(
    r.changed ? `yanked ${version} from ${r.channels.join(', ')}: ${reason}` : `${version} was yanked already`,
    { version, channels: r.channels, reason, changed: r.changed },
  );
  return 0;
}

/** slipway feed prune [--channel c] [--keep n] */
export async function prune(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const p = await project(flags);
  const s = await store(flags);
  const targets = flags.channel
    ? { [flags.channel]: Number(flags.keep ?? p.config.feed.retention[flags.channel]) }
    : p.config.feed.retention;
  const result: Record<string, string[]> = {};
  for (const [channel, keep] of Object.entries(targets)) {
    if (!Number.isInteger(keep) || keep < 1)
      throw new SlipwayError(
        'USAGE',
        `--keep expects a whole number of releases to keep (1 or more) for ${channel}, got "${flags.keep ?? 'nothing'}"`,
      );
    const keys = flags.dryRun ? await onlineKeys(flags, []) : await onlineKeys(flags, [channel]);
    result[channel] = (
      await pruneChannel(s, keys, {
        channel,
        keep,
        now: new Date(),
        expiry: p.config.feed.expiry,
        dryRun: flags.dryRun === true,
      })
    ).pruned;
  }
  const lines = Object.entries(result).map(
    ([c, v]) =>
      `${flags.dryRun ? 'would prune' : 'pruned'} ${v.length} ${c} release(s)${v.length ? `: ${v.join(', ')}` : ''}`,
  );
  out.result(lines.join('\n'), { pruned: result, dryRun: flags.dryRun === true });
  return 0;
}

const human = (seconds: number): string => {
  const a = Math.abs(seconds);
  const t =
    a >= 86_400
      ? `${Math.floor(a / 86_400)}d ${Math.floor((a % 86_400) / 3600)}h`
      : a >= 3600
        ? `${Math.floor(a / 3600)}h ${Math.floor((a % 3600) / 60)}m`
        : `${Math.floor(a / 60)}m`;
  return seconds < 0 ? `expired ${t} ago` : `in ${t}`;
};

/** slipway feed status */
export async function status(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const p = await project(flags);
  const s = await store(flags);
  const st = await feedStatus(s, new Date(), p.config.feed.expiry);
  const lines = [
    `feed ${s.location}`,
    ...st.roles.map((r) => {
      const name = r.bins ? `  ${r.role.replace('.bin-*', '')} bins` : r.role;
      return `  ${name.padEnd(16)} v${String(r.version).padEnd(5)} expires ${r.expires} (${human(r.expiresIn)})${r.bins ? `, the first of ${r.bins}` : ''}${r.state === 'ok' ? '' : `  ${r.state.toUpperCase()}`}`;
    }),
    ...st.channels.map(
      (c) =>
        `  ${c.channel.padEnd(16)} ${c.releases} release(s)${c.yanked ? `, ${c.yanked} yanked` : ''}, newest ${c.newest ?? '—'}`,
    ),
  ];
  out.result(lines.join('\n'), { feed: s.location, ...st });
  return st.roles.some((r) => r.state === 'expired') ? 1 : 0;
}

/** slipway feed refresh */
export async function refresh(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const p = await project(flags);
  const s = await store(flags);
  const channels: Record<string, SigningKey> = {};
  for (const c of p.config.channels) {
    const k = await tryLoad(flags, c);
    if (k) channels[c] = k;
  }
  const keys = {
    timestamp: await load(flags, 'timestamp'),
    channels,
    ...(await tryLoad(flags, 'snapshot').then((k) => (k ? { snapshot: k } : {}))),
    ...(flags.offlineKeys ? { targets: await load(flags, 'targets') } : {}),
  };
  const r = await refreshFeed(s, keys, {
    now: new Date(),
    expiry: p.config.feed.expiry,
    dryRun: flags.dryRun === true,
  });
  for (const w of r.warnings) out.warn(w);
  out.result(`${flags.dryRun ? 'would sign again' : 'signed again'}: ${r.resigned.join(', ')}`, {
    ...r,
    dryRun: flags.dryRun === true,
  });
  return 0;
}

/** slipway feed serve [dir] */
export async function serve(flags: FeedFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  const dir = resolve(args[0] ?? flags.feed ?? 'feed');
  const port = Number(flags.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new SlipwayError('USAGE', `--port expects a port number, got "${flags.port}"`);
  const { serveFeed } = await import('../../feed/serve.ts');
  const { url, server } = await serveFeed({
    dir,
    host: flags.host ?? '127.0.0.1',
    port,
    log: flags.json ? undefined : (l) => process.stderr.write(`${l}\n`),
  });
  out.result(`serving ${dir} at ${url} (Ctrl-C stops)`, { dir, url });
  await new Promise<void>((resolveStop) => {
    const stop = (): void => {
      void server.close().then(() => resolveStop());
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** slipway feed verify: what an instance sees, through tuf-js. */
export async function verify(flags: FeedFlags): Promise<number> {
  const out = createOutput(flags.json === true);
  const { FeedClient } = await import('../../feed/client.ts');
  let url = flags.url;
  let close: (() => Promise<void>) | null = null;
  const dir = resolve(flags.feed ?? 'feed');
  if (url === undefined) {
    const { serveFeed } = await import('../../feed/serve.ts');
    const served = await serveFeed({ dir });
    url = served.url;
    close = () => served.server.close();
  }
  const work = await mkdtemp(join(tmpdir(), 'slipway-verify-'));
  try {
    const metadataDir = join(work, 'metadata');
    await mkdir(metadataDir);
    await copyFile(
      flags.trustedRoot ? resolve(flags.trustedRoot) : join(dir, 'metadata', '1.root.json'),
      join(metadataDir, 'root.json'),
    );
    const client = new FeedClient({ url, metadataDir, scratchDir: join(work, 'scratch') });
    await client.refresh();
    const report = [];
    const feedChannels = await client.channels();
    for (const channel of feedChannels) {
      const indexes = [];
      for (const c of visibleChannels(feedChannels, channel)) indexes.push(await client.index(c));
      const sel = selectUpdate(indexes, null);
      let artifacts: string[] = [];
      if (sel.target) {
        const m = await client.manifest(sel.target.manifest);
        artifacts = Object.keys(m.artifacts);
      }
      report.push({
        channel,
        newest: sel.target?.version ?? null,
        from: sel.target?.channel ?? null,
        platforms: artifacts,
        releases: indexes[0]!.releases.length,
        yanked: sel.yanked.map((y) => y.version),
      });
    }
    out.result(
      [
        `verified ${url} with tuf-js: signatures, versions, expiry and lengths hold`,
        ...report.map(
          (r) =>
            `  an instance on ${r.channel.padEnd(8)} installs ${r.newest ?? 'nothing (no release)'}${r.from && r.from !== r.channel ? ` (from ${r.from})` : ''}${r.platforms.length ? ` for ${r.platforms.join(', ')}` : ''}`,
        ),
      ].join('\n'),
      { url, ok: true, channels: report },
    );
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
    await close?.();
  }
}
