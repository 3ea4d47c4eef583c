import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import { AGENT_CONFIG_VERSION, readAgentConfig, validateAgentConfig, type AgentConfig } from './config.ts';
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
    throw new SlipwayError('USAGE', `${layout.root} is installed already with other settings: ${differs.join('; ')}`, {
      details: differs,
    });
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
export async function install(options: InstallOptions): Promise<ApplyResult & { root: string }> {
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
  if (!(await exists(layout.agentConfig))) {
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
    await writeFileAtomic(layout.agentConfig, `${JSON.stringify(config, null, 2)}\n`, 0o640);
  } else
    await refuseChangedSettings(layout, {
      url,
      channel: options.channel,
      port: options.port,
      database: options.database,
      rootJson,
    });
  const instance = await Instance.open(layout.root, options);
  const r = await instance.update({
    ...(options.version ? { version: options.version } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
  return { ...r, root: layout.root };
}
