import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemdRunning } from '../src/agent/service.ts';
import { runCli, tempDir } from './helpers.ts';

/** An install root as `slipway service` needs it (agent.json), in a folder whose name has a space. */
async function root(): Promise<string> {
  const dir = join(await tempDir('slipway-service-'), 'my app');
  await mkdir(join(dir, 'state'), { recursive: true });
  await writeFile(
    join(dir, 'agent.json'),
    JSON.stringify({ config_version: 2, feed: { url: 'http://127.0.0.1:9/' }, update: { channel: 'stable' } }),
  );
  return dir;
}

/** `slipway service install|uninstall|status`: a systemd unit that runs the agent (issue 14). */
describe('slipway service', () => {
  it('writes a verified unit that runs the agent, reports it and removes it; --dry-run writes nothing', async () => {
    const r = await root();
    const units = await tempDir('slipway-units-');
    const dry = await runCli(['service', 'install', '--root', r, '--unit-dir', units, '--write-only', '--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /would write .*slipway-my-app\.service/);
    assert.deepEqual(await readdir(units), []);

    const wrote = await runCli(['service', 'install', '--root', r, '--unit-dir', units, '--write-only', '--json']);
    assert.equal(wrote.status, 0, wrote.stderr);
    const result = JSON.parse(wrote.stdout) as { unitFile: string; verified: boolean | null; written: boolean };
    assert.equal(result.written, true);
    if (existsSync('/usr/bin/systemd-analyze'))
      assert.equal(result.verified, true, 'systemd-analyze verify accepts it');
    const unit = await readFile(result.unitFile, 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=.* agent --root "${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"$`, 'm'));
    assert.match(unit, /^KillMode=mixed$/m, 'the agent stops the app itself');
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);

    const status = await runCli(['service', 'status', '--root', r, '--unit-dir', units, '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { installed: boolean }).installed, true);
    const gone = await runCli(['service', 'uninstall', '--root', r, '--unit-dir', units]);
    assert.equal(gone.status, 0, gone.stderr);
    assert.match(gone.stdout, /the install root is untouched/);
    assert.deepEqual(await readdir(units), []);
    assert.ok(existsSync(join(r, 'agent.json')));
    assert.equal((await runCli(['service', 'status', '--root', r, '--unit-dir', units])).status, 1);
  });

  it('runs a root that has its own executable through bin/slipway (the link a self-update repoints), not a versioned file', async () => {
    const r = await root();
    const units = await tempDir('slipway-units-');
    await mkdir(join(r, 'agent', '9.9.9'), { recursive: true });
    await copyFile('/usr/bin/true', join(r, 'agent', '9.9.9', 'slipway'));
    await mkdir(join(r, 'bin'));
    await symlink('../agent/9.9.9/slipway', join(r, 'bin', 'slipway'));
    const wrote = await runCli(['service', 'install', '--root', r, '--unit-dir', units, '--write-only', '--json']);
    assert.equal(wrote.status, 0, wrote.stderr);
    const unit = await readFile((JSON.parse(wrote.stdout) as { unitFile: string }).unitFile, 'utf8');
    assert.match(unit, /^ExecStart="[^"]*\/my app\/bin\/slipway" agent --root "[^"]*\/my app"$/m);
    const status = await runCli(['service', 'status', '--root', r, '--unit-dir', units, '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /my app\/bin\/slipway/);
  });

  it('without systemd, installs nothing and prints the command to run the agent by hand', async (t) => {
    if (systemdRunning()) {
      t.skip('systemd runs on this machine: the unit would really be enabled');
      return;
    }
    const r = await root();
    const units = await tempDir('slipway-units-');
    const out = await runCli(['service', 'install', '--root', r, '--unit-dir', units]);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /systemd is not running on this machine, so no service was installed/);
    assert.match(out.stderr, /run the agent by hand .* agent --root "[^"]*my app"/);
    assert.deepEqual(await readdir(units), [], 'nothing half-installed');
  });

  it('refuses bad input with a clear error', async () => {
    const r = await root();
    const units = await tempDir('slipway-units-');
    const cases: [string[], number, RegExp][] = [
      [['--user', 'Bad User'], 2, /--user "Bad User" is not a user name/],
      [['--name', 'a/b'], 2, /--name "a\/b" is not a systemd unit name/],
      [['--unit-dir', join(units, 'missing')], 2, /does not exist; pass --unit-dir/],
    ];
    for (const [args, code, message] of cases) {
      const got = await runCli(['service', 'install', '--root', r, '--write-only', '--unit-dir', units, ...args]);
      assert.equal(got.status, code, `${args.join(' ')}: ${got.stderr}`);
      assert.match(got.stderr, message);
    }
    const notRoot = await runCli(['service', 'install', '--root', units, '--write-only', '--unit-dir', units]);
    assert.equal(notRoot.status, 1);
    assert.match(notRoot.stderr, /is not an install root/);
    assert.deepEqual(await readdir(units), []);
  });
});
