import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Agent } from '../agent/agent.ts';
import { readAgentConfig, setKey, writeAgentConfig } from '../agent/config.ts';
import { install } from '../agent/install.ts';
import { Layout } from '../agent/layout.ts';
import { SIGNATURE_HEADER, signBody } from '../agent/notify.ts';
import { changeOperators, newOperator } from '../agent/operators.ts';
import { initFeed } from '../feed/init.ts';
import { publishRelease, type ReleaseInfo } from '../release/publish-release.ts';
import { serveFeed } from '../feed/serve.ts';
import { LocalStore } from '../feed/store.ts';
import { freePort } from '../io/free-port.ts';
import { buildSampleRelease, type SampleBuild } from './sample-app.ts';
import { createFeedKeys } from '../feed/feed-keys.ts';
import { isSingleExecutable } from '../io/packaged.ts';
import { SLIPWAY_VERSION } from '../io/package-info.ts';
import { buildRecordOf, publishAgent } from '../release/publish-agent.ts';
import { writeInstallScript } from '../release/install-script.ts';

/** Slipway's own executables for the demo's feed: this one when it is one, else npm run build:binaries's. */
async function ownExecutables(): Promise<string[]> {
  if (isSingleExecutable()) return [process.execPath];
  const out: string[] = [];
  for (const arch of ['x64', 'arm64']) {
    const file = fileURLToPath(new URL(`../../dist/bin/slipway-linux-${arch}`, import.meta.url));
    if (existsSync(file)) out.push(file);
  }
  // Only a build of this very version goes in (an older dist/bin would be refused by its record).
  const fresh: string[] = [];
  for (const f of out) if ((await buildRecordOf(f))?.version === SLIPWAY_VERSION) fresh.push(f);
  return fresh;
}

export interface LoopStep {
  step: string;
  detail: string;
}

/** A clock the demo moves by hand, to show a maintenance window without waiting for Sunday. */
class DemoClock {
  t = Date.parse('2026-11-18T12:00:00Z');
  now(): Date {
    return new Date(this.t);
  }
}

/**
 * The operator's half of the main job, on embedded defaults: a signed feed in a local folder served
 * on 127.0.0.1, an install root with SQLite, and the agent taking the sample app through an
 * install, a held update, a window, a security release, a tampered release, a failing release
 * and a rollback by hand.
 */
export async function runUpdateLoop(dir: string, say: (s: LoopStep) => void): Promise<LoopStep[]> {
  const steps: LoopStep[] = [];
  const note = (step: string, detail: string): void => {
    const s = { step, detail };
    steps.push(s);
    say(s);
  };
  const env = { SLIPWAY_KEY_PASSPHRASE: randomBytes(12).toString('hex') };
  const keys = await createFeedKeys(['nightly', 'beta', 'stable'], { dir: join(dir, 'keys'), env });
  const feedDir = join(dir, 'feed');
  const store = new LocalStore(feedDir);
  await initFeed(store, keys, { now: new Date() });
  const { url, server } = await serveFeed({ dir: feedDir });
  note('feed', `keys in ${join(dir, 'keys')} (Ed25519, encrypted); a TUF feed in ${feedDir}, served at ${url}`);
  const release = async (b: Omit<SampleBuild, 'out'>, info: ReleaseInfo = {}) => {
    await mkdir(join(dir, 'build', b.version), { recursive: true });
    const file = await buildSampleRelease({ ...b, out: join(dir, 'build', b.version, 'sample-linux-any.tar.gz') });
    return publishRelease(store, keys, {
      version: b.version,
      channel: 'stable',
      files: [file],
      now: new Date(),
      ...info,
    });
  };

  const root = join(dir, 'instance');
  let agent: Agent | null = null;
  let hook: Awaited<ReturnType<typeof webhookSink>> | null = null;
  try {
    await release({ version: '1.0.0', schema: 1, configVersion: 1 }, { notes: 'First release.\n' });
    note('publish 1.0.0', 'the sample app (HTTP server, SQLite, one migration) signed by the stable role');
    const executables = await ownExecutables();
    if (executables.length > 0) {
      await publishAgent(store, keys, {
        version: SLIPWAY_VERSION,
        channel: 'stable',
        files: executables,
        now: new Date(),
      });
      const script = await writeInstallScript(store, { url, app: 'sample' });
      note(
        'slipway feed publish-agent',
        `Slipway ${SLIPWAY_VERSION} for ${script.agents.map((a) => a.arch).join(' and ')} in the feed as stable/slipway; ${script.path} pins them: curl -fsSL ${url}/install.sh | bash -s -- --help`,
      );
    } else
      note(
        'slipway feed publish-agent',
        'skipped: no single executables here (npm run build:binaries makes them, and the demo then puts them in its feed)',
      );
    const rootFile = join(dir, 'root.json');
    await writeFile(rootFile, (await store.read('metadata/1.root.json'))!);
    const port = await freePort();
    const installed = await install({ root, feed: url, channel: 'stable', trustedRoot: rootFile, port });
    note(
      'slipway install',
      `${installed.to} installed in ${root}: verified with tuf-js, unpacked, migrated, health-checked in ${Math.round(installed.ms)} ms`,
    );
    await writeFile(
      join(root, 'config.json'),
      `${JSON.stringify({ config_version: 1, server: { ssl_mode: 'require' } }, null, 2)}\n`,
    );
    const cfg = setKey(
      setKey(
        (await readAgentConfig(join(root, 'agent.json'), new Date())).config,
        'update.maintenance-window',
        'Sun 02:00-06:00',
      ),
      'update.keep',
      '3',
    );
    await writeAgentConfig(join(root, 'agent.json'), cfg);
    note(
      'slipway config set update.maintenance-window "Sun 02:00-06:00"; update.keep 3',
      'non-security updates now wait for Sunday night (UTC here); three versions are kept for rollback',
    );

    // An operator who wants to hear about everything, by a webhook served here on 127.0.0.1.
    hook = await webhookSink();
    const { operator, token, secret } = newOperator('ops', 'admin', { webhook: hook.url }, new Date());
    await changeOperators(new Layout(root), (all) => ({ operators: [...all, operator], result: null }));
    hook.secret = secret!;
    const sink = hook;
    note(
      'slipway operator add ops --webhook …',
      `ops has a token of their own (${token.slice(0, 8)}…, only its hash is kept) and gets every event as a signed webhook at ${hook.url}`,
    );

    const clock = new DemoClock();
    agent = await Agent.create(root, { clock, firstCheckMs: 0, tickMs: 3_600_000, serverZone: 'UTC' });
    await agent.start();
    const ask = async (): Promise<string> => {
      // The supervisor may still be starting the app: try for a few seconds.
      for (let i = 0; ; i++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/`);
          return `${r.headers.get('x-sample-version')} answers ${await r.text()}`;
        } catch (error) {
          if (i >= 50) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    note(
      'slipway agent',
      `running 1.0.0 under supervision; local API ${agent.url} (token in state/token); the app ${await ask()}`,
    );

    await release(
      { version: '1.1.0', schema: 2, configVersion: 2 },
      { notes: '### Changed\n- TLS settings moved under server.tls\n' },
    );
    await agent.tick();
    let s = await agent.instance.state();
    note(
      'Wednesday 12:00: the agent checks',
      `1.1.0 downloaded, verified and staged; held for the window (applies ${s.staged?.applyAt})`,
    );
    clock.t = Date.parse('2026-11-22T02:30:00Z');
    await agent.tick();
    s = await agent.instance.state();
    const cfgNow = JSON.parse(await readFile(join(root, 'config.json'), 'utf8')) as unknown;
    note(
      'Sunday 02:30: the window opens',
      `${s.current} applied: migration 2 ran, config.json became ${JSON.stringify(cfgNow)}; the app ${await ask()}`,
    );

    clock.t = Date.parse('2026-11-23T10:00:00Z');
    await release(
      { version: '1.1.1', schema: 2, configVersion: 2 },
      { security: { severity: 'critical', advisory: 'CVE-2026-0042' } },
    );
    await agent.tick();
    s = await agent.instance.state();
    note(
      'Monday 10:00: a critical security release',
      `${s.current} applied at once, outside the window (update.security-bypass-window is true)`,
    );

    const tampered = await release({ version: '1.2.0', schema: 3, configVersion: 2 });
    const art = tampered.targets[0]!;
    const stored = join(feedDir, 'targets', 'stable', '1.2.0', `${art.sha256}.${art.name}`);
    const bytes = await readFile(stored);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
    await writeFile(stored, bytes);
    try {
      await agent.instance.update();
      note('slipway update (tampered 1.2.0)', 'UNEXPECTED: it was accepted');
    } catch (error) {
      note(
        'slipway update (1.2.0, one byte changed on the server)',
        `rejected before anything was touched: ${(error as Error).message.split('. ')[0]}`,
      );
    }

    await release({ version: '1.2.1', schema: 3, configVersion: 2, broken: true });
    const failed = await agent.instance.update();
    s = await agent.instance.state();
    const c = await agent.instance.consistency();
    note(
      'slipway update (1.2.1, health check fails)',
      `${failed.outcome}: ${failed.reason}; back on ${s.current} with schema ${c.db} in ${Math.round(failed.ms)} ms`,
    );

    const back = await agent.instance.rollback({ version: '1.0.0' });
    const c2 = await agent.instance.consistency();
    note(
      'slipway rollback --version v1.0.0',
      `${back.from} → ${back.to} in ${Math.round(back.ms)} ms; schema ${c2.db}, config_version ${c2.config}; the app ${await ask()}`,
    );
    const history = (await agent.instance.history()).map((h) => `${h.event}${h.to ? ` ${h.to}` : ''}`).join(', ');
    note('slipway history', history);
    await agent.instance.delivered();
    note(
      'notifications',
      `ops received ${sink.received.length} webhooks, every HMAC signature ${sink.received.every((h) => h.signed) ? 'valid' : 'NOT valid'}: ${sink.received.map((h) => h.title).join('; ')}`,
    );
  } finally {
    await agent?.stop();
    await hook?.close();
    await server.close();
  }
  return steps;
}

/** A webhook receiver on 127.0.0.1 that checks each notification's HMAC signature. */
async function webhookSink() {
  const sink = {
    url: '',
    secret: '',
    received: [] as { title: string; signed: boolean }[],
    close: (): Promise<void> => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const title = (JSON.parse(body) as { title: string }).title;
      sink.received.push({ title, signed: req.headers[SIGNATURE_HEADER] === signBody(sink.secret, body) });
      res.writeHead(204).end();
    });
  });
  const served = await listen(server, '127.0.0.1');
  sink.url = `http://127.0.0.1:${served}/hook`;
  sink.close = () => new Promise<void>((done) => server.close(() => done()));
  return sink;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => done((server.address() as { port: number }).port));
  });
}
