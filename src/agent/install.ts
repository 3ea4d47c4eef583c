import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.ts';
import { exists, writeFileAtomic } from '../io/atomic-write.ts';
import { AGENT_CONFIG_VERSION, validateAgentConfig, type AgentConfig } from './config.ts';
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
  }
  const instance = await Instance.open(layout.root, options);
  const r = await instance.update({
    ...(options.version ? { version: options.version } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  });
  return { ...r, root: layout.root };
}
