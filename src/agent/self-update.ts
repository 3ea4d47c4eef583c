import { execFile } from 'node:child_process';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { SlipwayError } from '../core/errors.ts';
import { newerAgent, type AgentArtifact, type AgentPlatform, type AgentRelease } from '../core/feed/agent.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { SLIPWAY_VERSION } from '../io/package-info.ts';
import type { Instance } from './instance.ts';
import type { Layout } from './layout.ts';
import { nodePlatform } from './runtime.ts';
import { linkAgent, linkedAgent, placeAgentBinary, runsFromRoot } from './self.ts';

const run = promisify(execFile);

/**
 * The agent's own updates, with an app update's guarantees: the executable comes through TUF
 * (the channel's role signs it), is unpacked beside the one running, proves it starts and can
 * read this instance (a trial run) before bin/slipway is switched to it in one rename; the agent
 * then re-executes itself into it, in the same process, and the app it runs keeps running (the
 * new agent adopts it). A new executable that does not come up is switched back: at its first
 * start that fails, or (under systemd, which restarts the agent) at the next start.
 */

/** What state/self-update.json remembers. */
export interface SelfState {
  /** The executable the agent ran before the last switch (kept for a way back). */
  previous: string | null;
  last: {
    from: string;
    to: string;
    at: string;
    outcome: 'updated' | 'failed' | 'reverted';
    reason: string | null;
  } | null;
  /** Versions that failed here, with why: not tried again. */
  failed: Record<string, string>;
}

/** A switch in progress (state/agent-switch.json): what the new executable's first starts check. */
export interface SwitchRecord {
  from: string;
  to: string;
  at: string;
  /** Starts of `to` that have not yet proved it (the watchdog's count). */
  starts: number;
}

/** After this many starts of the new executable that did not reach "up", it is switched back. */
export const MAX_UNPROVEN_STARTS = 2;

const selfFile = (layout: Layout): string => join(layout.state, 'self-update.json');

export async function readSelfState(layout: Layout): Promise<SelfState> {
  const text = await readFile(selfFile(layout), 'utf8').catch(() => null);
  if (text === null) return { previous: null, last: null, failed: {} };
  try {
    return { previous: null, last: null, failed: {}, ...(JSON.parse(text) as Partial<SelfState>) };
  } catch {
    return { previous: null, last: null, failed: {} };
  }
}

export const writeSelfState = (layout: Layout, s: SelfState): Promise<void> =>
  writeFileAtomic(selfFile(layout), `${JSON.stringify(s, null, 2)}\n`, 0o640);

export async function readSwitch(layout: Layout): Promise<SwitchRecord | null> {
  const text = await readFile(layout.agentSwitch, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as SwitchRecord;
  } catch {
    return null;
  }
}

export const writeSwitch = (layout: Layout, s: SwitchRecord): Promise<void> =>
  writeFileAtomic(layout.agentSwitch, `${JSON.stringify(s)}\n`, 0o640);

export type SelfUpdateResult =
  | { outcome: 'not-applicable'; version: string; reason: string }
  | { outcome: 'up-to-date'; version: string; channel: string }
  | { outcome: 'failed'; version: string; to: string; reason: string }
  | { outcome: 'switching'; version: string; to: string; path: string }
  | { outcome: 'available'; version: string; to: string; channel: string };

/** The channel whose executables this agent follows: its own, or the most stable one that has them. */
async function findRelease(
  instance: Instance,
  platform: AgentPlatform,
): Promise<{ channel: string; release: AgentRelease | null }> {
  const client = instance.feedClient();
  const own = instance.config.update.channel;
  const index = await client.agentIndex(own);
  if (index.releases.length > 0) return { channel: own, release: newerAgent(index, SLIPWAY_VERSION, platform) };
  for (const c of [...(await client.channels())].reverse()) {
    if (c === own) continue;
    const other = await client.agentIndex(c);
    if (other.releases.length > 0) return { channel: c, release: newerAgent(other, SLIPWAY_VERSION, platform) };
  }
  return { channel: own, release: null };
}

/** The new executable proves itself before anything is switched: its version, and a dry start on this root. */
async function trial(path: string, version: string, root: string): Promise<void> {
  const v = await run(path, ['--version'], { timeout: 60_000 }).catch((error: { message: string; stderr?: string }) => {
    throw new SlipwayError('SELF_UPDATE_FAILED', `${path} --version failed: ${(error.stderr || error.message).trim()}`);
  });
  if (v.stdout.trim() !== `slipway v${version}`)
    throw new SlipwayError('SELF_UPDATE_FAILED', `${path} says "${v.stdout.trim()}", not slipway v${version}`);
  await run(path, ['agent', '--root', root, '--check', '--json'], { timeout: 60_000 }).catch(
    (error: { message: string; stderr?: string }) => {
      throw new SlipwayError(
        'SELF_UPDATE_FAILED',
        `${basename(path)} ${version} cannot run this instance: ${(error.stderr || error.message).trim().split('\n').slice(-3).join(' ')}`,
      );
    },
  );
}

/**
 * Looks for a newer executable of Slipway on the feed and, when there is one, downloads, checks
 * and switches to it (bin/slipway), writing the switch record; the caller then re-executes.
 */
export async function selfUpdate(
  instance: Instance,
  log: (line: string) => Promise<void>,
  options: { dryRun?: boolean; force?: boolean } = {},
): Promise<SelfUpdateResult> {
  const layout = instance.layout;
  const version = SLIPWAY_VERSION;
  if (!instance.config.update['self-update'])
    return { outcome: 'not-applicable', version, reason: 'update.self-update is off' };
  if (!(await runsFromRoot(layout)))
    return {
      outcome: 'not-applicable',
      version,
      reason: `this agent is not an executable installed in ${layout.agentHome} (install.sh puts one there); update it the way it was installed`,
    };
  const platform = nodePlatform() as AgentPlatform;
  const { channel, release } = await findRelease(instance, platform);
  const state = await readSelfState(layout);
  if (release === null) return { outcome: 'up-to-date', version, channel };
  if (options.force) delete state.failed[release.version];
  if (state.failed[release.version] !== undefined)
    return {
      outcome: 'failed',
      version,
      to: release.version,
      reason: `it failed here before (${state.failed[release.version]}); slipway self-update --force tries it again`,
    };
  if (options.dryRun) return { outcome: 'available', version, to: release.version, channel };
  const artifact: AgentArtifact = release.artifacts[platform]!;
  const fail = async (reason: string): Promise<SelfUpdateResult> => {
    state.failed[release.version] = reason;
    state.last = { from: version, to: release.version, at: new Date().toISOString(), outcome: 'failed', reason };
    await writeSelfState(layout, state);
    await log(`self-update to Slipway ${release.version} failed, staying on ${version}: ${reason}`);
    return { outcome: 'failed', version, to: release.version, reason };
  };
  await log(`self-update: Slipway ${release.version} is on ${channel}; downloading it`);
  await mkdir(layout.downloads, { recursive: true });
  const download = join(layout.downloads, basename(artifact.path));
  let path: string;
  try {
    await instance
      .feedClient()
      .download(
        { name: basename(artifact.path), path: artifact.path, sha256: artifact.sha256, length: artifact.length },
        download,
      );
    path = await placeAgentBinary(layout, download, artifact, release.version);
  } catch (error) {
    const e = error as SlipwayError;
    // Bytes that do not verify may be a mirror's or a cache's fault: refused now, tried again at
    // the next check (only a release that fails its trial here is remembered as failed).
    if (e.code === 'VERIFY_FAILED' || e.code === 'ARTIFACT_FORMAT') {
      await log(`self-update to Slipway ${release.version} refused: ${e.message}`);
      return { outcome: 'failed', version, to: release.version, reason: e.message };
    }
    throw error;
  } finally {
    await rm(download, { force: true });
  }
  try {
    await trial(path, release.version, layout.root);
  } catch (error) {
    await rm(join(layout.agentHome, release.version), { recursive: true, force: true });
    return fail((error as Error).message);
  }
  await writeSwitch(layout, { from: version, to: release.version, at: new Date().toISOString(), starts: 0 });
  await linkAgent(layout, release.version);
  await log(`self-update: switched bin/slipway to ${release.version}; re-executing`);
  return { outcome: 'switching', version, to: release.version, path };
}

/** What an agent's start finds of a switch: nothing, its own switch to prove, or one to undo. */
export async function onStart(
  layout: Layout,
  log: (line: string) => Promise<void>,
): Promise<{ proving: SwitchRecord | null; revertTo: string | null }> {
  const sw = await readSwitch(layout);
  if (sw === null) return { proving: null, revertTo: null };
  if (sw.to !== SLIPWAY_VERSION) {
    // The switch never re-executed (the agent was stopped or killed between the switch and the
    // exec): this executable runs, so bin/slipway points back at it and the switch is over. The
    // new one was never tried: the next check tries it again.
    await rm(layout.agentSwitch, { force: true });
    if ((await linkedAgent(layout)) === sw.to) await linkAgent(layout, SLIPWAY_VERSION);
    const reason = `Slipway ${SLIPWAY_VERSION} started instead of ${sw.to} (the agent stopped before it re-executed)`;
    const state = await readSelfState(layout);
    state.last = { from: sw.from, to: sw.to, at: new Date().toISOString(), outcome: 'reverted', reason };
    await writeSelfState(layout, state);
    if (sw.to !== sw.from && sw.to !== SLIPWAY_VERSION)
      await rm(join(layout.agentHome, sw.to), { recursive: true, force: true });
    await log(
      `self-update: ${reason}; bin/slipway points at ${SLIPWAY_VERSION} again, and the next check tries ${sw.to} again`,
    );
    return { proving: null, revertTo: null };
  }
  sw.starts++;
  if (sw.starts > MAX_UNPROVEN_STARTS) {
    await log(`Slipway ${sw.to} did not come up in ${MAX_UNPROVEN_STARTS} starts; switching back to ${sw.from}`);
    await revert(layout, sw, `it did not come up in ${MAX_UNPROVEN_STARTS} starts`);
    return { proving: null, revertTo: sw.from };
  }
  await writeSwitch(layout, sw);
  return { proving: sw, revertTo: null };
}

/** Points bin/slipway back at the old executable and remembers why the new one failed. */
export async function revert(layout: Layout, sw: SwitchRecord, reason: string): Promise<void> {
  await linkAgent(layout, sw.from);
  const state = await readSelfState(layout);
  state.failed[sw.to] = reason;
  state.last = { from: sw.from, to: sw.to, at: new Date().toISOString(), outcome: 'reverted', reason };
  await writeSelfState(layout, state);
  await rm(layout.agentSwitch, { force: true });
}

/** The new executable is up: the switch is kept, the one before it stays as the way back. */
export async function commitSwitch(layout: Layout, sw: SwitchRecord): Promise<void> {
  const state = await readSelfState(layout);
  state.previous = sw.from;
  state.last = { from: sw.from, to: sw.to, at: new Date().toISOString(), outcome: 'updated', reason: null };
  await writeSelfState(layout, state);
  await rm(layout.agentSwitch, { force: true });
  // Only the running executable and the one before it are kept.
  for (const v of await readdir(layout.agentHome).catch(() => [] as string[]))
    if (semver.valid(v) && v !== sw.to && v !== sw.from)
      await rm(join(layout.agentHome, v), { recursive: true, force: true });
}
