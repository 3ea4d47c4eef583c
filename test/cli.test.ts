import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { generateHistory } from '../bench/generate-history.ts';
import { runCli, scratchRepo, spawnCli, tempDir, writeTarball } from './helpers.ts';

const COMMANDS = ['init', 'next', 'changelog', 'notes', 'bump', 'check-version', 'schema', 'demo'];

async function project() {
  const repo = await scratchRepo();
  await repo.write('slipway.json', '// test\n{"repository": "https://github.com/o/r", "name": "demo"}\n');
  await repo.commit('feat: first', { 'package.json': '{\n  "name": "demo",\n  "version": "1.0.0"\n}\n' });
  await repo.tag('v1.0.0');
  await repo.commit('feat(api): add export (#3)');
  await repo.commit('Update README');
  return repo;
}

describe('slipway CLI', () => {
  it('prints help for every command', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.status, 0);
    for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
    for (const c of COMMANDS) {
      const r = await runCli([c, '--help']);
      assert.equal(r.status, 0, c);
      assert.match(r.stdout, new RegExp(`^Usage: slipway ${c}`), c);
    }
  });

  it("shows the next command's flags", async () => {
    const r = await runCli(['next', '--help']);
    assert.equal(
      r.stdout,
      `Usage: slipway next [options]

decide the next version from the Conventional Commits since the last release

Options:
  -c, --channel <channel>  release channel (nightly, beta, stable…)
  --release-as <version>   release this version instead (e.g. 1.0.0)
  -v, --verbose            also list commits that are not conventional and tags
                           that are not versions
  --json                   print a JSON document on stdout instead of text
  -h, --help               display help for command
`,
    );
  });

  it('stops quietly when its reader goes away (EPIPE)', async () => {
    // Far more output than a pipe holds, so the write really fails once head has gone.
    const dir = await generateHistory({ commits: 3000, untagged: 100, dir: join(await tempDir(), 'history') });
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${join(import.meta.dirname, '../src/cli/bin.ts')}" changelog --dry-run | head -n 2`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(r.stdout.split('\n').length, 3);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
  });

  it('exits 2 on an unknown flag', async () => {
    const r = await runCli(['next', '--chanel', 'beta']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--chanel'/);
  });

  it('as a real process: --version, exit 2 on a bad flag, a JSON error with its code and hint, exit 1 outside a repository', async () => {
    const version = await spawnCli(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^slipway v\d+\.\d+\.\d+\n$/);
    const bad = await spawnCli(['next', '--chanel', 'beta']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option '--chanel'/);
    const outside = await spawnCli(['next', '--json'], { cwd: await tempDir() });
    assert.equal(outside.status, 1);
    const error = (JSON.parse(outside.stdout) as { error: { code: string; hint: string } }).error;
    assert.equal(error.code, 'NOT_A_REPOSITORY');
    assert.match(error.hint, /--cwd/);
    assert.doesNotMatch(outside.stderr, /at .*\.ts:\d+/);
  });

  describe('next', () => {
    it('prints the version and why', async () => {
      const repo = await project();
      const r = await runCli(['next', '--cwd', repo.dir]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /^1\.1\.0\n\n1\.0\.0 -> 1\.1\.0 on stable: minor bump from 1\.0\.0\n\nDecided by:\n  [0-9a-f]{7} feat\(api\): add export \(#3\)\nNot conventional \(ignored\): 1 \(list them with --verbose\)\n$/,
      );
      const verbose = await runCli(['next', '--verbose'], { cwd: repo.dir });
      assert.match(verbose.stdout, /Not conventional \(ignored\): 1\n  [0-9a-f]{7} Update README/);
    });

    it('has a stable --json shape', async () => {
      const repo = await project();
      const r = await runCli(['next', '--json', '--cwd', repo.dir]);
      const data = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.equal(r.stderr, '');
      assert.deepEqual(Object.keys(data), [
        'current',
        'base',
        'next',
        'tag',
        'bump',
        'channel',
        'releaseAs',
        'reason',
        'head',
        'commits',
        'nonConventional',
        'cancelled',
        'skippedTags',
        'security',
        'breaking',
        'taken',
        'warnings',
      ]);
      assert.deepEqual([data.current, data.next, data.bump, data.channel], ['1.0.0', '1.1.0', 'minor', 'stable']);
      assert.deepEqual([data.security, data.breaking, data.taken, data.warnings], [null, false, [], []]);
      const [commit] = data.commits as Record<string, unknown>[];
      assert.deepEqual(
        { ...commit, sha: typeof commit!.sha },
        { sha: 'string', type: 'feat', scope: 'api', subject: 'add export (#3)', breaking: false, decisive: true },
      );
    });

    it('gives null next and bump when nothing warrants a release', async () => {
      const repo = await project();
      await repo.tag('v1.1.0');
      await repo.commit('docs: words');
      const data = JSON.parse((await runCli(['next', '--json', '--cwd', repo.dir])).stdout) as Record<string, unknown>;
      assert.deepEqual([data.current, data.next, data.bump], ['1.1.0', null, null]);
    });

    it('takes --channel and --release-as', async () => {
      const repo = await project();
      assert.equal(
        (JSON.parse((await runCli(['next', '--json', '-c', 'beta', '--cwd', repo.dir])).stdout) as { next: string })
          .next,
        '1.1.0-beta.1',
      );
      assert.equal(
        (
          JSON.parse((await runCli(['next', '--json', '--release-as', '2.0.0', '--cwd', repo.dir])).stdout) as {
            next: string;
          }
        ).next,
        '2.0.0',
      );
    });

    it('exits 2 with every config problem and its path', async () => {
      const repo = await project();
      await writeFile(join(repo.dir, 'slipway.json'), '{"tagPrefix": 1, "chanels": []}');
      const r = await runCli(['next', '--cwd', repo.dir]);
      assert.equal(r.status, 2);
      assert.match(
        r.stderr,
        /slipway\.json has 2 problems\n  - tagPrefix: Invalid input: expected string, received number \(got number 1\)\n  - \(top level\): unknown key "chanels"/,
      );
      const j = await runCli(['next', '--json', '--cwd', repo.dir]);
      assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'CONFIG_INVALID');
    });

    it('exits 2 for a channel that does not exist', async () => {
      const repo = await project();
      const r = await runCli(['next', '-c', 'edge', '--cwd', repo.dir]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /channel "edge" is not configured; expected one of nightly, beta, stable/);
    });
  });

  describe('changelog', () => {
    it('prints the result with --dry-run and writes nothing', async () => {
      const repo = await project();
      const r = await runCli([
        'changelog',
        '--dry-run',
        '--release',
        'v1.1.0',
        '--date',
        '2026-11-22',
        '--cwd',
        repo.dir,
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(
        r.stdout,
        /## \[1\.1\.0\] - 2026-11-22\n\n### Added\n\n- \*\*api:\*\* add export \(\[#3\]\(https:\/\/github\.com\/o\/r\/issues\/3\)\)/,
      );
      assert.ok(!(await readdir(repo.dir)).includes('CHANGELOG.md'));
    });

    it('writes the file and reports what it did, as JSON too', async () => {
      const repo = await project();
      const r = await runCli(['changelog', '--next', '--json', '--cwd', repo.dir]);
      const data = JSON.parse(r.stdout) as { written: boolean; added: string[] };
      assert.deepEqual([data.written, data.added], [true, ['Unreleased', '1.1.0', '1.0.0']]);
      assert.match(await readFile(join(repo.dir, 'CHANGELOG.md'), 'utf8'), /## \[1\.1\.0\]/);
      const again = await runCli(['changelog', '--cwd', repo.dir]);
      assert.match(again.stdout, /CHANGELOG\.md is up to date/);
    });

    it('refuses a --cwd that is not a folder, naming it', async () => {
      for (const [where, why] of [
        ['/etc/hostname', /\/etc\/hostname is not a folder/],
        ['/nonexistent-folder', /\/nonexistent-folder does not exist/],
      ] as const) {
        const r = await runCli(['-C', where, 'next']);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, why);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
    });

    it('refuses a malformed --date', async () => {
      const repo = await project();
      const r = await runCli(['changelog', '--release', '1.1.0', '--date', '22/11/2026', '--cwd', repo.dir]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--date expects YYYY-MM-DD, got "22\/11\/2026"/);
      const impossible = await runCli(['lifecycle', '--date', '2026-02-30', '--cwd', repo.dir]);
      assert.equal(impossible.status, 2);
      assert.match(impossible.stderr, /--date "2026-02-30" is not a day of the calendar/);
    });
  });

  describe('notes', () => {
    it('renders the default template for the latest release', async () => {
      const repo = await project();
      const r = await runCli(['notes', '--cwd', repo.dir]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^# demo v1\.0\.0\n\n## 🎉 What's New\n\n- first \(/);
    });

    it('renders a user template for a version about to be released', async () => {
      const repo = await project();
      await writeFile(
        join(repo.dir, 'notes.hbs'),
        '{{name}} {{tag}}{{#each sections}} [{{title}}: {{entries.length}}]{{/each}}\n',
      );
      const r = await runCli(['notes', '1.1.0', '--template', join(repo.dir, 'notes.hbs'), '--cwd', repo.dir]);
      assert.equal(r.stdout, 'demo v1.1.0 [Added: 1]\n');
    });
  });

  describe('bump and check-version', () => {
    it('bump --dry-run writes nothing; bump writes; check-version then agrees', async () => {
      const repo = await project();
      const dry = await runCli(['bump', '1.1.0', '--dry-run', '--cwd', repo.dir]);
      assert.equal(dry.stdout, 'would write package.json: 1.0.0 -> 1.1.0\n');
      assert.match(await readFile(join(repo.dir, 'package.json'), 'utf8'), /"1\.0\.0"/);
      const bad = await runCli(['check-version', '--tag', 'v1.1.0', '--cwd', repo.dir]);
      assert.equal(bad.status, 1);
      assert.match(bad.stdout, /MISMATCH package\.json \(version\): 1\.0\.0, expected 1\.1\.0/);
      assert.match(bad.stdout, /run `slipway bump 1\.1\.0` or retag/);
      const bump = await runCli(['bump', 'next', '--json', '--cwd', repo.dir]);
      assert.deepEqual((JSON.parse(bump.stdout) as { files: unknown }).files, [
        { path: 'package.json', from: ['1.0.0'], to: '1.1.0' },
      ]);
      const good = await runCli(['check-version', '--tag', 'v1.1.0', '--json', '--cwd', repo.dir]);
      assert.equal(good.status, 0);
      assert.equal((JSON.parse(good.stdout) as { ok: boolean }).ok, true);
    });

    it('checks against the tag at HEAD when no --tag is given', async () => {
      const repo = await project();
      await repo.tag('v1.1.0');
      const r = await runCli(['check-version', '--cwd', repo.dir]);
      assert.equal(r.status, 1);
      assert.match(r.stdout, /version files disagree with tag v1\.1\.0 at HEAD/);
    });

    it('refuses a version that is not semver', async () => {
      const repo = await project();
      const r = await runCli(['bump', '1.2', '--cwd', repo.dir]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /"1\.2" is not a semantic version/);
    });
  });

  describe('init', () => {
    it('writes a starter config and changelog, and refuses to overwrite', async () => {
      const repo = await scratchRepo();
      await repo.git('remote', 'add', 'origin', 'git@github.com:acme/panel.git');
      const dry = await runCli(['init', '--dry-run', '--cwd', repo.dir]);
      assert.match(dry.stdout, /"repository": "https:\/\/github\.com\/acme\/panel"/);
      assert.deepEqual(await readdir(repo.dir), ['.git']);
      const r = await runCli(['init', '--cwd', repo.dir]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual((await readdir(repo.dir)).sort(), ['.git', 'CHANGELOG.md', 'slipway.json']);
      const again = await runCli(['init', '--cwd', repo.dir]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already exists; pass --force/);
      // What init writes is valid config.
      await repo.commit('feat: x');
      assert.equal((await runCli(['next', '--cwd', repo.dir])).status, 0);
    });
  });

  it('prints the JSON Schema', async () => {
    const r = await runCli(['schema']);
    assert.equal((JSON.parse(r.stdout) as { title: string }).title, 'Slipway configuration (slipway.json)');
  });

  it('runs the demo', async () => {
    const r = await runCli(['demo', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const data = JSON.parse(r.stdout) as {
      next: { stable: string; beta: string };
      changelog: string;
      notes: string;
      loop: { step: string; detail: string }[];
    };
    assert.deepEqual([data.next.stable, data.next.beta], ['0.5.0', '0.5.0-beta.1']);
    assert.match(
      data.loop.find((s) => s.step === 'notifications')!.detail,
      /^ops received 6 webhooks, every HMAC signature valid: 1\.1\.0 is staged; Updated 1\.0\.0 → 1\.1\.0; .*The update to 1\.2\.1 failed and was rolled back/,
    );
    assert.match(data.changelog, /\*\*BREAKING\*\* \*\*config:\*\* rename ssl_mode to tls\.mode/);
    assert.match(data.notes, /## 🚀 Migration Guide/);
  });
});

describe('slipway CLI, the remaining flags', () => {
  it('changelog --next --channel beta cuts a beta section', async () => {
    const repo = await project();
    const r = await runCli([
      'changelog',
      '--next',
      '--channel',
      'beta',
      '--date',
      '2026-11-22',
      '--dry-run',
      '--cwd',
      repo.dir,
    ]);
    assert.match(r.stdout, /## \[1\.1\.0-beta\.1\] - 2026-11-22/);
  });

  it('changelog --regenerate rebuilds sections and keeps hand-written lines', async () => {
    const repo = await project();
    await runCli(['changelog', '--cwd', repo.dir]);
    const path = join(repo.dir, 'CHANGELOG.md');
    await writeFile(path, (await readFile(path, 'utf8')).replace(/- first \(.*\n/, '- first, by hand\n'));
    const r = await runCli(['changelog', '--regenerate', '--json', '--cwd', repo.dir]);
    assert.deepEqual((JSON.parse(r.stdout) as { updated: string[] }).updated, ['1.0.0']);
    const text = await readFile(path, 'utf8');
    assert.match(text, /- first, by hand\n- first \(\[/);
  });

  it('notes --output, --date, --json and --print-template', async () => {
    const repo = await project();
    const r = await runCli([
      'notes',
      'v1.1.0',
      '--date',
      '2026-12-01',
      '--output',
      join(repo.dir, 'notes.md'),
      '--json',
      '--cwd',
      repo.dir,
    ]);
    const data = JSON.parse(r.stdout) as { version: string; context: { date: string } };
    assert.deepEqual([data.version, data.context.date], ['1.1.0', '2026-12-01']);
    assert.match(await readFile(join(repo.dir, 'notes.md'), 'utf8'), /^# demo v1\.1\.0/);
    const t = await runCli(['notes', '--print-template']);
    assert.match(t.stdout, /^# \{\{name\}\} v\{\{version\}\}/);
  });

  it('bump next --channel beta', async () => {
    const repo = await project();
    const r = await runCli(['bump', 'next', '--channel', 'beta', '--dry-run', '--cwd', repo.dir]);
    assert.equal(r.stdout, 'would write package.json: 1.0.0 -> 1.1.0-beta.1\n');
  });

  it('init --force overwrites', async () => {
    const repo = await scratchRepo();
    await writeFile(join(repo.dir, 'slipway.json'), '{"tagPrefix": "x"}');
    assert.equal((await runCli(['init', '--force', '--cwd', repo.dir])).status, 0);
    assert.match(await readFile(join(repo.dir, 'slipway.json'), 'utf8'), /"tagPrefix": "v"/);
  });

  it('--config reads another config file', async () => {
    const repo = await project();
    await writeFile(join(repo.dir, 'other.json'), '{"initialVersion": "1.0.0", "tagPrefix": "release-"}');
    const r = await runCli(['next', '--json', '--config', join(repo.dir, 'other.json'), '--cwd', repo.dir]);
    assert.equal((JSON.parse(r.stdout) as { next: string }).next, '1.0.0');
    const missing = await runCli(['next', '--config', join(repo.dir, 'nope.json'), '--cwd', repo.dir]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read .*nope\.json/);
  });

  it('demo --keep keeps the sample repository', async () => {
    const r = await runCli(['demo', '--keep', '--json']);
    const dir = (JSON.parse(r.stdout) as { dir: string }).dir;
    const { rm } = await import('node:fs/promises');
    assert.ok((await readdir(dir)).includes('CHANGELOG.md'));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('slipway migrate', () => {
  it('creates, validates, plans, applies, reports and rolls back', async () => {
    const dir = await tempDir();
    const m = (...args: string[]) => runCli(['migrate', ...args], { cwd: dir });
    assert.match(
      (await m('create', 'initial_schema', '--sequential')).stdout,
      /created .*migrations\/00001_initial_schema\.sql/,
    );
    await writeFile(
      join(dir, 'migrations', '00001_initial_schema.sql'),
      '-- +goose Up\nCREATE TABLE t (id integer);\n-- +goose Down\nDROP TABLE t;\n',
    );
    assert.match((await m('create', 'later', '--sequential', '--dry-run')).stdout, /^would create .*00002_later\.sql/);
    assert.deepEqual(await readdir(join(dir, 'migrations')), ['00001_initial_schema.sql']);
    assert.match((await m('validate')).stdout, /^1 migration in .* are valid/);
    const dry = await m('up', '--db', 'app.db', '--dry-run');
    assert.equal(
      dry.stdout,
      '-- would migrate up 00001_initial_schema.sql\nCREATE TABLE t (id integer);\n(dry run: nothing was changed)\n',
    );
    assert.match(
      (await m('up', '--db', 'app.db')).stdout,
      /^OK {3}00001_initial_schema\.sql \([\d.]+ ms\)\nthe database is at version 1\n$/,
    );
    const status = JSON.parse((await m('status', '--db', 'app.db', '--json')).stdout) as {
      version: string;
      rows: { applied: boolean }[];
    };
    assert.deepEqual([status.version, status.rows.map((r) => r.applied)], ['1', [true]]);
    assert.match(
      (await runCli(['migrate', 'down-to', '0', '--db', 'app.db'], { cwd: dir, env: { SLIPWAY_DB: '' } })).stdout,
      /^DOWN 00001_initial_schema\.sql/,
    );
    assert.match(
      (await m('status', '--db', 'app.db')).stdout,
      /Pending {21}-- 00001_initial_schema\.sql\ndatabase version: 0/,
    );
  });

  it('lets two processes run at once on one SQLite file: each migration runs exactly once', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'migrations'));
    for (let i = 1; i <= 40; i++) {
      await writeFile(
        join(dir, 'migrations', `${String(i).padStart(5, '0')}_t${i}.sql`),
        `-- +goose Up\nCREATE TABLE t${i} (id integer);\n-- +goose Down\nDROP TABLE t${i};\n`,
      );
    }
    const [a, b] = await Promise.all([
      spawnCli(['migrate', 'up', '--db', 'app.db', '--json'], { cwd: dir }),
      spawnCli(['migrate', 'up', '--db', 'app.db', '--json'], { cwd: dir }),
    ]);
    assert.equal(a.status + b.status, 0, a.stderr + b.stderr);
    const steps = [a, b].flatMap((r) =>
      (JSON.parse(r.stdout) as { steps: { version: string }[] }).steps.map((s) => s.version),
    );
    assert.equal(steps.length, 40);
    assert.equal(new Set(steps).size, 40);
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(dir, 'app.db'));
    assert.equal(
      (db.prepare('SELECT count(*) AS n FROM goose_db_version WHERE version_id > 0').get() as { n: number }).n,
      40,
    );
    db.close();
  });

  it('exits 2 without a database or with a bad version, 1 on a failing migration', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'migrations'));
    await writeFile(
      join(dir, 'migrations', '00001_bad.sql'),
      '-- +goose Up\nCREATE TABLE t (id integer);\nINSERT INTO nope VALUES (1);\n',
    );
    const m = (...args: string[]) => runCli(['migrate', ...args], { cwd: dir, env: { SLIPWAY_DB: '' } });
    assert.equal((await m('up')).status, 2);
    assert.equal((await m('down-to', 'x', '--db', 'a.db')).status, 2);
    const failed = await m('up', '--db', 'a.db', '--json');
    assert.equal(failed.status, 1);
    assert.match(
      failed.stderr,
      /00001_bad\.sql:3: migrating up to 1 failed: no such table: nope \(the migration was rolled back\)\n {2}- statement: INSERT INTO nope VALUES \(1\);/,
    );
    assert.equal((JSON.parse(failed.stdout) as { error: { code: string } }).error.code, 'MIGRATION_FAILED');
  });
});

describe('slipway migrate config', () => {
  it('migrates a config file up and back, with config.backup.json, dry-run and warnings', async () => {
    const dir = await tempDir();
    const config = join(dir, 'config.json');
    const steps = join(dir, 'config-migrations.json');
    const original = '{\n  "server": { "ssl_mode": "strict" },\n  "legacy": { "panel_theme": "dark" }\n}\n';
    await writeFile(config, original);
    await writeFile(
      steps,
      JSON.stringify({
        migrations: [
          {
            version: 2,
            steps: [{ rename: { from: 'server.ssl_mode', to: 'server.tls.mode' } }, { remove: 'legacy.panel_theme' }],
          },
        ],
        deprecated: [{ key: 'server.ssl_mode', replacement: 'server.tls.mode' }],
      }),
    );
    const dry = await runCli(['migrate', 'config', config, '--steps', steps, '--dry-run']);
    assert.match(dry.stdout, /would move .*config\.json from config_version 1 to 2/);
    assert.equal(await readFile(config, 'utf8'), original);
    const up = await runCli(['migrate', 'config', config, '--steps', steps]);
    assert.equal(up.status, 0, up.stderr);
    assert.deepEqual(JSON.parse(await readFile(config, 'utf8')), {
      server: { tls: { mode: 'strict' } },
      config_version: 2,
    });
    assert.equal(
      (JSON.parse(await readFile(join(dir, 'config.backup.json'), 'utf8')) as { archived: { key: string }[] })
        .archived[0]!.key,
      'legacy.panel_theme',
    );
    const down = await runCli(['migrate', 'config', config, '--steps', steps, '--to', '1', '--json']);
    assert.match(down.stderr, /warning: config key server\.ssl_mode is deprecated; use server\.tls\.mode instead/);
    assert.deepEqual(JSON.parse(await readFile(config, 'utf8')), {
      server: { ssl_mode: 'strict' },
      legacy: { panel_theme: 'dark' },
    });
  });

  it('reports an invalid migrations file with the path of each problem', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'c.json'), '{}');
    await writeFile(join(dir, 's.json'), '{"migrations": [{"version": 0, "steps": [{"rename": {"from": "a"}}]}]}');
    const r = await runCli(['migrate', 'config', join(dir, 'c.json'), '--steps', join(dir, 's.json')]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /is not a valid config migrations file\n {2}- migrations\[0\]\.version: .*\n {2}- migrations\[0\]\.steps\[0\]\.rename\.to: /,
    );
  });
});

describe('slipway keys, feed and publish', () => {
  it('make a feed that tuf-js verifies, with the release view beside it', async () => {
    const dir = await tempDir();
    const env = { SLIPWAY_KEY_PASSPHRASE: 'a long passphrase' };
    const run = (...args: string[]) => runCli(args, { cwd: dir, env });
    assert.equal(
      (await runCli(['keys', 'init'], { cwd: dir, env: { SLIPWAY_KEY_PASSPHRASE: '' } })).status,
      2,
      'no passphrase',
    );
    assert.match((await run('keys', 'init', '--dry-run')).stdout, /^would create 8 keys/);
    assert.equal((await run('keys', 'init')).status, 0);
    assert.equal((await run('feed', 'init')).status, 0);
    // Publish reads a .tar.gz as an instance would: a text file with that name is refused…
    await writeFile(join(dir, 'app-linux-amd64.tar.gz'), 'amd64 bytes');
    const text = await run('publish', '1.0.0', '--channel', 'nightly', 'app-linux-amd64.tar.gz', '--dry-run');
    assert.equal(text.status, 1, 'the dry run makes the same check');
    assert.match(text.stderr, /app-linux-amd64\.tar\.gz cannot be published: it is not a readable \.tar\.gz/);
    // …a real one goes in.
    await writeTarball(join(dir, 'app-linux-amd64.tar.gz'), { 'content.txt': 'amd64 bytes' });
    await writeFile(join(dir, 'notes.md'), '# v1.0.0\n');
    const published = await run(
      'publish',
      '1.0.0',
      '--channel',
      'nightly',
      '--notes',
      'notes.md',
      'app-linux-amd64.tar.gz',
      '--json',
    );
    assert.equal(published.status, 0, published.stderr);
    assert.deepEqual(
      (JSON.parse(published.stdout) as { targets: { path: string }[] }).targets.map((t) => t.path),
      ['nightly/1.0.0/app-linux-amd64.tar.gz'],
    );
    assert.deepEqual((await readdir(join(dir, 'feed', 'releases', '1.0.0'))).sort(), [
      'SHA256SUMS',
      'SHA256SUMS.sig',
      'app-linux-amd64.tar.gz',
      'cosign.pub',
      'notes.md',
    ]);
    const outside = await run('publish', '1.0.1', '--channel', 'stable', 'app-linux-amd64.tar.gz');
    assert.equal(outside.status, 1, 'stable needs the commit and a beta of it');
    assert.match(outside.stderr, /must name the commit it was built from/);
    const wrong = await runCli(['publish', '1.0.1', '-c', 'nightly', 'app-linux-amd64.tar.gz'], {
      cwd: dir,
      env: { SLIPWAY_KEY_PASSPHRASE: 'not the passphrase' },
    });
    assert.equal(wrong.status, 2);
    assert.doesNotMatch(wrong.stderr, /not the passphrase/, 'the passphrase is never echoed');

    // An instance checks the feed with a real TUF client, served over HTTP on 127.0.0.1.
    const { createServer } = await import('node:http');
    const { Updater } = await import('tuf-js');
    const server = createServer((req, res) => {
      readFile(join(dir, 'feed', new URL(req.url ?? '/', 'http://x').pathname.replace(/\.\./g, ''))).then(
        (d) => res.end(d),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      await mkdir(join(dir, 'instance', 'metadata'), { recursive: true });
      await writeFile(
        join(dir, 'instance', 'metadata', 'root.json'),
        await readFile(join(dir, 'feed', 'metadata', '1.root.json')),
      );
      const updater = new Updater({
        metadataDir: join(dir, 'instance', 'metadata'),
        metadataBaseUrl: `${url}/metadata`,
        targetBaseUrl: `${url}/targets`,
        targetDir: join(dir, 'instance'),
      });
      await updater.refresh();
      const info = await updater.getTargetInfo('nightly/1.0.0/app-linux-amd64.tar.gz');
      assert.deepEqual(
        await readFile(await updater.downloadTarget(info!, join(dir, 'instance', 'app.tar.gz'))),
        await readFile(join(dir, 'app-linux-amd64.tar.gz')),
      );
    } finally {
      server.close();
    }
  });
});

describe('the built package (dist/, what npm ships)', () => {
  const dist = join(import.meta.dirname, '..', 'dist');
  it('has no import of a .ts file left, and every command module loads', async (t) => {
    if (!existsSync(join(dist, 'cli', 'bin.js'))) {
      t.skip('not built (npm run build; .ci/run builds before it tests)');
      return;
    }
    const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js'));
    for (const f of files) {
      const text = await readFile(join(dist, f), 'utf8');
      assert.doesNotMatch(text, /(?:from |import\()\s*['"]\.{1,2}\/[^'"]*\.ts['"]/, `${f} imports a .ts file`);
    }
    for (const f of files.filter((x) => x.startsWith(join('cli', 'commands')))) await import(join(dist, f));
    const built = spawnSync(process.execPath, [join(dist, 'cli', 'bin.js'), 'feed', 'serve', '--help'], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
  });

  it('npm pack ships exactly what runs: dist without source maps, the schemas, a LICENSE, no dangling files entry', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const root = join(import.meta.dirname, '..');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      files: string[];
      scripts: Record<string, string>;
    };
    for (const f of pkg.files)
      assert.ok(existsSync(join(root, f)) || f === 'dist', `"files" names ${f}, which does not exist`);
    assert.equal(pkg.scripts.prepack, 'npm run build', 'npm pack builds dist first');
    assert.ok(existsSync(join(root, 'LICENSE')));
    if (!existsSync(join(dist, 'cli', 'bin.js'))) return; // the rest needs the build
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const want of ['LICENSE', 'dist/cli/bin.js', 'dist/agent/ui/banner.js', 'schema/agent.schema.json'])
      assert.ok(files.includes(want), `the tarball holds ${want}`);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/')),
      [],
    );
  });
});
