import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import semver from 'semver';
import * as tar from 'tar';
import {
  AGENT_KEEP,
  AGENT_PLATFORMS,
  agentArtifactPath,
  agentIndexPath,
  elfPlatform,
  type AgentArtifact,
  type AgentIndex,
  type AgentPlatform,
  type AgentRelease,
} from '../core/feed/agent.ts';
import { platformOf } from '../core/feed/manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { hashFile } from '../io/hash.ts';
import type { ExpiryDays, OnlineKeys } from '../feed/metadata.ts';
import { changeFeed, type FeedSession } from '../feed/session.ts';
import type { FeedStore } from '../feed/store.ts';
import { checkVersion } from './locate.ts';

/** The build record every executable carries (scripts/build-stamp.ts), found without running it. */
const STAMP = /\{"slipway":"([0-9A-Za-z.+-]{1,64})","build":"([0-9T:Z-]{1,32})","commit":"([0-9a-f]{40}|unknown)"\}/;

/** Reads an executable in 1 MiB steps (with an overlap) for its build record; null when it has none. */
export async function buildRecordOf(file: string): Promise<{ version: string; build: string; commit: string } | null> {
  let tail = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    const text = tail + (chunk as Buffer).toString('latin1');
    const m = STAMP.exec(text);
    if (m) return { version: m[1]!, build: m[2]!, commit: m[3]! };
    tail = text.slice(-256);
  }
  return null;
}

async function head(file: string): Promise<Buffer> {
  const h = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await h.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

export interface CheckedExecutable {
  file: string;
  platform: AgentPlatform;
  build: string;
  commit: string;
}

/**
 * An executable may enter the feed when it is a Linux ELF for amd64 or arm64 (its name, when it
 * names a platform, agrees), carries Slipway's build record, and that record names `version`.
 */
export async function checkExecutables(files: readonly string[], version: string): Promise<CheckedExecutable[]> {
  if (files.length === 0)
    throw new SlipwayError(
      'USAGE',
      'name the executables, e.g. dist/bin/slipway-linux-x64 dist/bin/slipway-linux-arm64',
    );
  const out: CheckedExecutable[] = [];
  for (const file of files) {
    const s = await stat(file).catch(() => null);
    if (s === null || !s.isFile())
      throw new SlipwayError('ARTIFACT_MISSING', `${file} ${s === null ? 'does not exist' : 'is not a file'}`);
    const platform = elfPlatform(await head(file));
    if (platform === null)
      throw new SlipwayError(
        'ARTIFACT_FORMAT',
        `${basename(file)} is not a Linux executable for ${Object.keys(AGENT_PLATFORMS).join(' or ')}; build them with npm run build:binaries`,
      );
    const named = platformOf(basename(file));
    if (named !== 'any' && named !== platform)
      throw new SlipwayError(
        'ARTIFACT_FORMAT',
        `${basename(file)} is named for ${named} but is an executable for ${platform}`,
      );
    const other = out.find((o) => o.platform === platform);
    if (other) throw new SlipwayError('USAGE', `${other.file} and ${file} are both for ${platform}`);
    const record = await buildRecordOf(file);
    if (record === null)
      throw new SlipwayError(
        'ARTIFACT_FORMAT',
        `${basename(file)} has no Slipway build record: it is not a Slipway executable (npm run build:binaries makes them)`,
      );
    if (record.version !== version)
      throw new SlipwayError(
        'ARTIFACT_FORMAT',
        `${basename(file)} is Slipway ${record.version}, not ${version}; publish it as ${record.version} or build ${version}`,
      );
    out.push({ file, platform, build: record.build, commit: record.commit });
  }
  return out;
}

/** One executable as the archive the feed carries: `slipway` (0755), dated by its build, nothing else. */
export async function packExecutable(file: string, build: string, dir: string, name: string): Promise<string> {
  const stage = await mkdtemp(join(dir, 'pack-'));
  try {
    await copyFile(file, join(stage, 'slipway'));
    await chmod(join(stage, 'slipway'), 0o755);
    const out = join(dir, name);
    await tar.c({ gzip: { level: 6 }, file: out, cwd: stage, portable: true, mtime: new Date(build) }, ['slipway']);
    return out;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** The agent releases of a channel as the session sees them (an empty list when it has none). */
export const readAgentIndex = (session: FeedSession, channel: string): Promise<AgentIndex> =>
  session.agentIndex(channel);

export interface PublishAgentOptions {
  version: string;
  channel: string;
  files: readonly string[];
  now: Date;
  expiry?: ExpiryDays;
  dryRun?: boolean;
  progress?: (text: string) => void;
}

export interface PublishAgentResult {
  outcome: 'published' | 'unchanged' | 'planned';
  version: string;
  channel: string;
  release: AgentRelease | null;
  /** Agent versions the channel no longer carries (it keeps the newest AGENT_KEEP). */
  dropped: string[];
  checks: string[];
}

/**
 * `slipway feed publish-agent`: Slipway's own executables into a channel of a feed, signed by the
 * channel's role, for install.sh and the agents' self-update. The same bytes again change nothing;
 * other bytes for a published version are refused.
 */
export async function publishAgent(
  store: FeedStore,
  keys: OnlineKeys,
  options: PublishAgentOptions,
): Promise<PublishAgentResult> {
  const version = checkVersion(options.version);
  const { channel } = options;
  if (!keys.channels[channel])
    throw new SlipwayError(
      'UNKNOWN_CHANNEL',
      `channel "${channel}" has no key here; expected one of ${Object.keys(keys.channels).join(', ')}`,
    );
  const checked = await checkExecutables(options.files, version);
  const checks = checked.map((c) => `${basename(c.file)}: Slipway ${version} for ${c.platform}, built ${c.build}`);
  if (options.dryRun) return { outcome: 'planned', version, channel, release: null, dropped: [], checks };
  const scratch = await mkdtemp(join(tmpdir(), 'slipway-agent-'));
  try {
    const artifacts: Partial<Record<AgentPlatform, AgentArtifact>> = {};
    const packed: { file: string; artifact: AgentArtifact }[] = [];
    for (const c of checked) {
      options.progress?.(`packing ${basename(c.file)} for ${c.platform}`);
      const path = agentArtifactPath(channel, version, c.platform);
      const file = await packExecutable(c.file, c.build, scratch, basename(path));
      const [archive, exe] = await Promise.all([hashFile(file), hashFile(c.file)]);
      const artifact: AgentArtifact = {
        path,
        sha256: archive.sha256,
        length: archive.length,
        executableSha256: exe.sha256,
        executableLength: exe.length,
      };
      artifacts[c.platform] = artifact;
      packed.push({ file, artifact });
    }
    return await changeFeed(store, async (session) => {
      await session.role(channel);
      const index = await readAgentIndex(session, channel);
      const existing = index.releases.find((r) => r.version === version);
      if (existing) {
        // The same bytes again (all of them, or some: a job per architecture run again) change nothing.
        const differs = Object.entries(artifacts).flatMap(([p, a]) => {
          const was = existing.artifacts[p as AgentPlatform];
          if (!was) return [`it has no ${p} executable (it has ${Object.keys(existing.artifacts).join(', ')})`];
          return was.executableSha256 === a.executableSha256
            ? []
            : [
                `its ${p} executable is sha256 ${was.executableSha256.slice(0, 12)}…, this one ${a.executableSha256.slice(0, 12)}…`,
              ];
        });
        if (differs.length === 0)
          return { outcome: 'unchanged' as const, version, channel, release: existing, dropped: [], checks };
        throw new SlipwayError(
          'PUBLISH_CONFLICT',
          `Slipway ${version} is published on ${channel} already and ${differs.join('; ')}; a published release never changes: build and publish a new version`,
        );
      }
      for (const { file, artifact } of packed) await session.putFile(channel, artifact.path, file, artifact);
      const release: AgentRelease = {
        version,
        commit: checked[0]!.commit === 'unknown' ? null : checked[0]!.commit,
        buildTime: checked[0]!.build,
        published: options.now.toISOString(),
        artifacts,
      };
      const all = [...index.releases, release].sort((a, b) => semver.rcompare(a.version, b.version));
      const kept = all.slice(0, AGENT_KEEP);
      const gone = all.slice(AGENT_KEEP);
      await session.removeTargets(
        channel,
        gone.flatMap((r) => Object.values(r.artifacts).map((a) => a.path)),
      );
      const next: AgentIndex = { schema: 1, channel, updated: options.now.toISOString(), releases: kept };
      await session.putData(channel, agentIndexPath(channel), `${JSON.stringify(next, null, 2)}\n`);
      await session.commit(keys, options.now, options.expiry);
      return {
        outcome: 'published' as const,
        version,
        channel,
        release,
        dropped: gone.map((r) => r.version),
        checks,
      };
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
