import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { findAgent } from './remote.ts';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FeedClient } from '../feed/client.ts';
import { lockHolder } from '../io/lock-file.ts';
import { ensureSystemUser, linkAgent, linkedAgent, placeAgentBinary, verifyAgentArchive } from './self.ts';
import { installService, slipwayCommand, systemdRunning, type ServiceResult } from './service.ts';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import {
  AGENT_CONFIG_VERSION,
  agentConfigText,
  readAgentConfig,
  validateAgentConfig,
  type AgentConfig,
} from './config.ts';
import { Instance, type ApplyResult, type InstanceOptions } from './instance.ts';
import { Layout } from './layout.ts';

export interface InstallOptions extends InstanceOptions {
  root: string;
  feed: string;
  channel: string;
  /** A root.json file, or the sha256 of the feed's 1.root.json to pin. */
  trustedRoot?: string;
  trustedRootSha256?: string;
  version?: string;
  port?: number;
  /** The app's database: a SQLite path or a postgres:// URL (default: <root>/data/app.db). */
  database?: string;
  progress?: (s: string) => void;
  /** install.sh's download of Slipway itself: verified through TUF first, then kept as agent/<version>/slipway. */
  agentArchive?: string;
  /** The channel whose role signs that archive (default: `channel`). */
  agentChannel?: string;
  /** Write, enable and start a systemd unit for the agent (where systemd runs). */
  service?: boolean;
  /** As root: the system user the agent runs as (created when missing; it owns the root). */
  user?: string;
  /** Where the unit goes (default /etc/systemd/system). */
  unitDir?: string;
}

export interface InstallExtras {
  root: string;
  /** Slipway's own executable in the root, when install.sh brought one. */
  agent: { version: string; path: string; linked: boolean } | null;
  user: { name: string; created: boolean } | null;
  service: ServiceResult | null;
  /** How to start the agent when no service does. */
  byHand: string;
  /** The agent running for this root already (its pid), which keeps running it: nothing to start. */
  agentPid?: number | null;
}

/**
 * `install` run again on an existing root must not silently keep other settings than it was
 * given: what differs is refused with the command that changes it.
 */
async function refuseChangedSettings(
  layout: Layout,
  given: { url: string; channel: string; port: number | undefined; database: string | undefined; rootJson: Buffer },
): Promise<void> {
  const { config } = await readAgentConfig(layout.agentConfig, new Date());
  const differs: string[] = [];
  const set = (key: string, value: string) => `slipway config set ${key} ${value} --root ${layout.root}`;
  if (config.feed.url !== given.url)
    differs.push(`feed.url is ${config.feed.url}, not ${given.url} (${set('feed.url', given.url)})`);
  if (config.update.channel !== given.channel)
    differs.push(
      `update.channel is ${config.update.channel}, not ${given.channel} (${set('update.channel', given.channel)})`,
    );
  if (given.port !== undefined && config.app.port !== given.port)
    differs.push(`app.port is ${config.app.port}, not ${given.port} (${set('app.port', String(given.port))})`);
  if (given.database !== undefined && config.app.database !== given.database)
    differs.push(`app.database differs (${set('app.database', given.database)})`);
  if (!(await firstRootMatches(layout, given.rootJson)))
    differs.push("the trusted root is another feed's (install into a new --root for another feed)");
  if (differs.length > 0)
    // Each difference once: as a line of its own (details), with how to change it.
    throw new SlipwayError('USAGE', `${layout.root} is installed already with other settings:`, { details: differs });
}

/** Whether the root an instance trusts descends from this first root (same keys at version 1). */
async function firstRootMatches(layout: Layout, rootJson: Buffer): Promise<boolean> {
  const trusted = JSON.parse(await readFile(join(layout.tuf, 'root.json'), 'utf8')) as { signed: { version: number } };
  if (trusted.signed.version !== 1) return true; // rotated since: tuf-js verified the chain from the first one
  return (
    createHash('sha256')
      .update(await readFile(join(layout.tuf, 'root.json')))
      .digest('hex') === createHash('sha256').update(rootJson).digest('hex')
  );
}

/**
 * `slipway install`: lays out the install root (agent.json, state/, trusted root) and installs the
 * newest release of the channel (or --version) with the same code path as an update.
 */
export async function install(options: InstallOptions): Promise<ApplyResult & InstallExtras> {
  const layout = new Layout(options.root);
  const url = options.feed.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url))
    throw new SlipwayError('USAGE', `--feed expects the feed's http(s) address, got "${options.feed}"`);
  let rootJson: Buffer;
  if (options.trustedRoot) {
    rootJson = await readFile(options.trustedRoot).catch((error: unknown) => {
      throw new SlipwayError(
        'USAGE',
        `cannot read --trusted-root ${options.trustedRoot}: ${(error as NodeJS.ErrnoException).code}`,
        { cause: error },
      );
    });
  } else if (options.trustedRootSha256) {
    const r = await fetch(`${url}/metadata/1.root.json`).catch((error: unknown) => {
      throw new SlipwayError('FEED_UNREACHABLE', `cannot reach ${url}: ${(error as Error).message}`, { cause: error });
    });
    if (!r.ok) throw new SlipwayError('FEED_UNREACHABLE', `${url}/metadata/1.root.json answered HTTP ${r.status}`);
    rootJson = Buffer.from(await r.arrayBuffer());
    const got = createHash('sha256').update(rootJson).digest('hex');
    if (got !== options.trustedRootSha256.toLowerCase())
      throw new SlipwayError(
        'VERIFY_FAILED',
        `the feed's 1.root.json has sha256 ${got}, not the pinned ${options.trustedRootSha256}; refusing to trust it`,
      );
  } else {
    throw new SlipwayError(
      'USAGE',
      'pass --trusted-root <root.json> (from the maintainer) or --trusted-root-sha256 <hex>: an instance must start from a root it trusts',
    );
  }
  try {
    const parsed = JSON.parse(rootJson.toString('utf8')) as { signed?: { _type?: string } };
    if (parsed.signed?._type !== 'root') throw new Error('not a root');
  } catch {
    throw new SlipwayError('USAGE', 'the trusted root is not TUF root metadata (metadata/1.root.json of the feed)');
  }
  if (options.user !== undefined && process.getuid?.() !== 0)
    throw new SlipwayError(
      'USAGE',
      `--user ${options.user} needs root: only root creates system users and gives them the root`,
    );
  // Before anything is written: the executable install.sh fetched must be the one the feed signs.
  const agent = options.agentArchive
    ? await verifyFirst(url, rootJson, options.agentChannel ?? options.channel, options.agentArchive)
    : null;
  const fresh = !(await exists(layout.agentConfig));
  const created = fresh ? await prepareRoot(layout.root) : [];
  if (!fresh) {
    await access(layout.state, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      throw new SlipwayError(
        'USAGE',
        `cannot write ${layout.state} (${error.code}): run the installer as the user that owns ${layout.root}, or as root`,
      );
    });
    options = { ...options, ...(await keepUser(layout, options.user)) };
  }
  try {
    const r = await installInto(layout, options, { url, rootJson, fresh });
    // A release that failed its health check leaves a consistent root (nothing current, the
    // history saying why) that the same command completes later; the agent is set up only after one that worked.
    const installed = !(r.outcome === 'rolled-back' || (r.outcome === 'up-to-date' && r.from === null));
    return {
      ...r,
      ...(installed
        ? await settle(layout, options, agent)
        : { root: layout.root, agent: null, user: null, service: null, byHand: '' }),
    };
  } catch (error) {
    // Not left half-installed: a first install that failed takes out what it made.
    for (const p of created.reverse()) await rm(p, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Run again on a root a system user owns, the installer keeps that user: another --user is
 * refused like any other changed setting, and none means the same one.
 */
async function keepUser(layout: Layout, given: string | undefined): Promise<{ user?: string }> {
  const uid = (await stat(layout.agentConfig)).uid;
  if (uid === 0 || uid === process.getuid?.()) return given === undefined ? {} : { user: given };
  const owner = await userName(uid);
  if (given !== undefined && owner !== null && given !== owner)
    throw new SlipwayError(
      'USAGE',
      `${layout.root} is installed already for the user ${owner}, not ${given}; run the installer again with --user=${owner} (or install into a new --root)`,
    );
  return owner === null ? {} : { user: owner };
}

async function userName(uid: number): Promise<string | null> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  return null;
}

/** Creates the root (and its parents) if needed; returns what it created, to take out on failure. */
async function prepareRoot(root: string): Promise<string[]> {
  const st = await stat(root).catch(() => null);
  if (st !== null && !st.isDirectory())
    throw new SlipwayError('USAGE', `the install root ${root} is a file, not a folder; choose another --root`);
  const made: string[] = [];
  const missing: string[] = [];
  for (let p = root; !(await exists(p)); p = dirname(p)) missing.unshift(p);
  const parent = dirname(missing[0] ?? root);
  if (missing.length > 0 && !(await stat(parent)).isDirectory())
    throw new SlipwayError('USAGE', `cannot create the install root ${root}: ${parent} is a file, not a folder`);
  try {
    for (const p of missing) {
      await mkdir(p, { mode: 0o755 });
      made.push(p);
    }
    await access(root, constants.W_OK);
  } catch (error) {
    for (const p of made.reverse()) await rm(p, { recursive: true, force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new SlipwayError(
      'USAGE',
      `cannot write the install root ${root} (${code}): choose a folder you can write with --root, or run as root`,
      { cause: error },
    );
  }
  if (made.length > 0) return [made[0]!];
  // An existing folder: only what the install puts in it goes again.
  const layout = new Layout(root);
  return [
    layout.agentConfig,
    layout.state,
    layout.releases,
    layout.data,
    layout.current,
    layout.staging,
    layout.agentHome,
    dirname(layout.slipwayLink),
    layout.appConfig,
  ].filter((p) => !existsSync(p));
}

async function verifyFirst(url: string, rootJson: Buffer, channel: string, archive: string) {
  const scratch = await mkdtemp(join(tmpdir(), 'slipway-verify-'));
  try {
    await mkdir(join(scratch, 'tuf'));
    await writeFileAtomic(join(scratch, 'tuf', 'root.json'), rootJson);
    const client = new FeedClient({ url, metadataDir: join(scratch, 'tuf'), scratchDir: join(scratch, 'scratch') });
    return { archive, ...(await verifyAgentArchive(client, channel, archive)) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** After the app: the executable in place, the system user, the service. */
async function settle(
  layout: Layout,
  options: InstallOptions,
  agent: Awaited<ReturnType<typeof verifyFirst>> | null,
): Promise<InstallExtras> {
  let placed: InstallExtras['agent'] = null;
  if (agent) {
    const path = await placeAgentBinary(layout, agent.archive, agent.artifact, agent.release.version);
    // A running agent moves to it itself (its self-update), so that the app it runs is not interrupted.
    const running = agentRunning(layout);
    if (!running) await linkAgent(layout, agent.release.version);
    placed = { version: agent.release.version, path, linked: !running };
  }
  const command = (await linkedAgent(layout)) !== null ? [layout.slipwayLink] : slipwayCommand();
  const user =
    options.user === undefined ? null : { name: options.user, ...(await ensureSystemUser(options.user, layout)) };
  let service: ServiceResult | null = null;
  // Pasted into a shell: quoted for one, and as the agent's own user when root installed one.
  const asUser = options.user !== undefined && process.getuid?.() === 0 ? ['runuser', '-u', options.user, '--'] : [];
  const byHand = [...asUser, ...command, 'agent', '--root', layout.root].map(shellWord).join(' ');
  if (options.service && systemdRunning())
    service = await installService({
      layout,
      command,
      start: true,
      ...(options.user ? { user: options.user } : {}),
      ...(options.unitDir ? { unitDir: options.unitDir } : {}),
    });
  return { root: layout.root, agent: placed, user, service, byHand, agentPid: lockHolder(layout.agentLock) };
}

/** One word for a POSIX shell: bare when it is plain, single-quoted otherwise. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9/_.:=@+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function agentRunning(layout: Layout): boolean {
  return lockHolder(layout.agentLock) !== null;
}

async function installInto(
  layout: Layout,
  options: InstallOptions,
  given: { url: string; rootJson: Buffer; fresh: boolean },
): Promise<ApplyResult> {
  const { url, rootJson } = given;
  if (given.fresh) {
    const config: AgentConfig = validateAgentConfig(
      {
        config_version: AGENT_CONFIG_VERSION,
        feed: { url },
        update: { channel: options.channel },
        app: { port: options.port ?? 8080, ...(options.database ? { database: options.database } : {}) },
        api: {},
      },
      'the new agent.json',
    );
    for (const d of [layout.root, layout.state, layout.tuf, layout.releases, layout.data])
      await mkdir(d, { recursive: true, mode: 0o750 });
    await writeFileAtomic(join(layout.tuf, 'root.json'), rootJson, 0o644);
    await writeFileAtomic(layout.token, `${randomBytes(32).toString('hex')}\n`, 0o600);
    await writeFileAtomic(layout.agentConfig, agentConfigText(config), 0o640);
  } else
    await refuseChangedSettings(layout, {
      url,
      channel: options.channel,
      port: options.port,
      database: options.database,
      rootJson,
    });
  // Run again while the agent runs: the agent applies the update, so that its supervisor (not a
  // second process) stops and starts the app.
  const api = given.fresh ? null : await findAgent(layout);
  if (api) return api.call<ApplyResult>('POST', '/api/update', options.version ? { version: options.version } : {});
  const instance = await Instance.open(layout.root, options);
  return instance.update({
    retryInterrupted: true,
    ...(options.version ? { version: options.version } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
}
