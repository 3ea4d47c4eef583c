import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readlink, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type * as Tar from 'tar';
import { SlipwayError } from '../core/errors.ts';
import type { AgentArtifact, AgentPlatform, AgentRelease } from '../core/feed/agent.ts';
import type { FeedClient } from '../feed/client.ts';
import { hashFile } from '../io/hash.ts';
import { isSingleExecutable } from '../io/packaged.ts';
import type { Layout } from './layout.ts';
import { nodePlatform } from './runtime.ts';

const run = promisify(execFile);

/**
 * Slipway's own executable in an install root: agent/<version>/slipway, with bin/slipway the link
 * to the one in use. install.sh puts the first one there; the agent's self-update the next ones.
 */

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Checks an executable's archive against the feed through TUF (the channel's role signs its
 * length and sha256) and, in the single executable, that the program running is the one inside:
 * what install.sh relies on before anything is installed.
 */
export async function verifyAgentArchive(
  client: FeedClient,
  channel: string,
  archive: string,
): Promise<{ release: AgentRelease; artifact: AgentArtifact; platform: AgentPlatform }> {
  const platform = nodePlatform() as AgentPlatform;
  const sha256 = await sha256Of(archive).catch((error: unknown) => {
    throw new SlipwayError('USAGE', `cannot read --agent-archive ${archive}: ${(error as NodeJS.ErrnoException).code}`);
  });
  const index = await client.agentIndex(channel);
  const release = index.releases.find((r) => r.artifacts[platform]?.sha256 === sha256);
  if (!release)
    throw new SlipwayError(
      'VERIFY_FAILED',
      `${archive} (sha256 ${sha256}) is none of the Slipway executables channel ${channel} signs for ${platform}${index.releases.length > 0 ? ` (it has ${index.releases.map((r) => r.version).join(', ')})` : ''}`,
    );
  const artifact = release.artifacts[platform]!;
  await client.verifyLocal(artifact.path, archive);
  if (isSingleExecutable()) {
    const self = await sha256Of(process.execPath);
    if (self !== artifact.executableSha256)
      throw new SlipwayError(
        'VERIFY_FAILED',
        `this program (${process.execPath}, sha256 ${self}) is not the executable in ${artifact.path}, which the feed signs; refusing to install`,
      );
  }
  return { release, artifact, platform };
}

/** Unpacks `slipway` (nothing else) from a verified archive into agent/<version>/, once. */
export async function placeAgentBinary(
  layout: Layout,
  archive: string,
  artifact: AgentArtifact,
  version: string,
): Promise<string> {
  // tar is loaded when an archive is first read, not with the agent.
  const tar = await import('tar');
  const dest = layout.agentBinary(version);
  const have = await stat(dest).catch(() => null);
  if (have?.isFile() && have.size === artifact.executableLength && (await sha256Of(dest)) === artifact.executableSha256)
    return dest;
  await mkdir(layout.agentHome, { recursive: true, mode: 0o755 });
  const stage = await mkdtemp(join(layout.agentHome, '.unpack-'));
  try {
    let seen = 0;
    await tar.x({
      file: archive,
      cwd: stage,
      strict: true,
      noChmod: false,
      preserveOwner: false,
      filter: (path, entry) => {
        const ok = path === 'slipway' && (entry as Tar.ReadEntry).type === 'File';
        if (ok) seen++;
        return ok;
      },
    });
    if (seen !== 1) throw new SlipwayError('ARTIFACT_FORMAT', `${artifact.path} holds no executable named slipway`);
    const file = join(stage, 'slipway');
    const h = await hashFile(file);
    if (h.sha256 !== artifact.executableSha256 || h.length !== artifact.executableLength)
      throw new SlipwayError('VERIFY_FAILED', `the executable in ${artifact.path} is not the one its release lists`);
    await chmod(file, 0o755);
    await rm(dirname(dest), { recursive: true, force: true });
    await rename(stage, dirname(dest));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return dest;
}

/** Points bin/slipway at agent/<version>/slipway in one rename (a reader sees the old link or the new). */
export async function linkAgent(layout: Layout, version: string): Promise<void> {
  const link = layout.slipwayLink;
  await mkdir(dirname(link), { recursive: true, mode: 0o755 });
  const tmp = `${link}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await symlink(relative(dirname(link), layout.agentBinary(version)), tmp);
  await rename(tmp, link);
}

/** The version bin/slipway points at, or null when the root has no executable of its own. */
export async function linkedAgent(layout: Layout): Promise<string | null> {
  const l = await lstat(layout.slipwayLink).catch(() => null);
  if (!l?.isSymbolicLink()) return null;
  const target = await readlink(layout.slipwayLink);
  const m = /(?:^|\/)agent\/([^/]+)\/slipway$/.exec(target);
  return m ? m[1]! : null;
}

/** Whether this process is the root's own executable (the single executable under agent/). */
export async function runsFromRoot(layout: Layout): Promise<boolean> {
  if (!isSingleExecutable()) return false;
  const [self, home] = await Promise.all([
    realpath(process.execPath).catch(() => process.execPath),
    realpath(layout.agentHome).catch(() => layout.agentHome),
  ]);
  return self.startsWith(`${home}/`);
}

/** The system user the agent runs as: created (with its group) when missing; the root becomes its. */
export async function ensureSystemUser(user: string, layout: Layout): Promise<{ created: boolean }> {
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user))
    throw new SlipwayError('USAGE', `--user "${user}" is not a user name (expected e.g. slipway)`);
  const exists = await run('id', ['-u', user]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run('useradd', [
      '--system',
      '--user-group',
      '--home-dir',
      layout.root,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      user,
    ]).catch((error: { stderr?: string; message: string }) => {
      throw new SlipwayError(
        'USER_FAILED',
        `cannot create the system user ${user}: ${/ENOENT/.test(error.message) && !error.stderr ? 'useradd is not installed (Debian: apt-get install passwd)' : (error.stderr || error.message).trim()}`,
      );
    });
  }
  // What the install made, and only that: a folder that held other files keeps their owners.
  const ours = [
    layout.agentConfig,
    layout.appConfig,
    layout.state,
    layout.releases,
    layout.data,
    layout.current,
    layout.staging,
    layout.agentHome,
    dirname(layout.slipwayLink),
  ].filter((p) => existsSync(p));
  const chown = (args: string[]) =>
    run('chown', args).catch((error: { stderr?: string; message: string }) => {
      throw new SlipwayError(
        'USER_FAILED',
        `cannot give ${layout.root} to ${user}: ${(error.stderr || error.message).trim()}`,
      );
    });
  await chown([`${user}:`, layout.root]);
  if (ours.length > 0) await chown(['-R', '-h', `${user}:`, ...ours]);
  return { created: !exists };
}
