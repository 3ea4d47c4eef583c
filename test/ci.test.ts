import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateWorkflow } from '@action-validator/core';
import { runCli, scratchRepo } from './helpers.ts';

/** gitlab-ci-local (from npm) parses a .gitlab-ci.yml and validates it against GitLab's JSON Schema. */
function gitlabValidate(dir: string): Promise<{ status: number; output: string }> {
  const bin = createRequire(import.meta.url).resolve('gitlab-ci-local/dist/index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--list'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, output });
    });
  });
}

describe('slipway ci', () => {
  it('writes GitHub workflows (tag and branch triggers, binary or npm install) that the action validator accepts', async () => {
    for (const on of ['tag', 'branch'])
      for (const install of ['binary', 'npm']) {
        const repo = await scratchRepo();
        await repo.commit('feat: one');
        const r = await runCli(['ci', '--github', '--on', on, '--install', install], { cwd: repo.dir });
        assert.equal(r.status, 0, r.stderr);
        const text = await readFile(join(repo.dir, '.github/workflows/release.yml'), 'utf8');
        const verdict = validateWorkflow(text);
        assert.deepEqual(verdict.errors, [], `${on}/${install}:\n${text}`);
        assert.match(text, /fetch-depth: 0/);
        assert.match(text, /id-token: write/);
        assert.doesNotMatch(text, /npm (install|i) slipway/, 'Slipway is not on npm');
        if (on === 'tag') {
          assert.match(text, /tags:\n\s+- v\*\.\*\.\*/);
          assert.match(text, /check-version --tag "\$GITHUB_REF_NAME"/);
          assert.match(text, /release --tag "\$GITHUB_REF_NAME" --yes/);
        } else {
          assert.match(text, /branches:\n\s+- main/);
          assert.match(text, /release --yes --if-needed/);
        }
        // Run again: unchanged; a different file there is not overwritten without --force.
        assert.match(
          (await runCli(['ci', '--github', '--on', on, '--install', install], { cwd: repo.dir })).stdout,
          /unchanged/,
        );
        const other = await runCli(['ci', '--github', '--on', on === 'tag' ? 'branch' : 'tag'], { cwd: repo.dir });
        assert.equal(other.status, 1);
        assert.match(other.stderr, /exists already and differs; pass --force/);
      }
    // The validator is not a rubber stamp: a broken workflow fails it.
    assert.notDeepEqual(
      validateWorkflow('name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n').errors,
      [],
    );
  });

  it("writes a GitLab job that GitLab's schema accepts (gitlab-ci-local)", async () => {
    for (const on of ['tag', 'branch']) {
      const repo = await scratchRepo();
      await repo.commit('feat: one');
      const r = await runCli(['ci', '--gitlab', '--on', on], { cwd: repo.dir });
      assert.equal(r.status, 0, r.stderr);
      const text = await readFile(join(repo.dir, '.gitlab-ci.yml'), 'utf8');
      assert.match(text, /GIT_DEPTH: "0"/);
      assert.match(text, /id_tokens:/);
      await repo.git('add', '.gitlab-ci.yml');
      await repo.commit('ci: release job');
      const v = await gitlabValidate(repo.dir);
      assert.equal(v.status, 0, `${on}:\n${v.output}\n${text}`);
      assert.match(v.output, /json schema validated/);
    }
    const repo = await scratchRepo();
    await writeFile(join(repo.dir, '.gitlab-ci.yml'), 'release:\n  script: [x]\n  scriptt: 1\n');
    await repo.git('add', '.gitlab-ci.yml');
    await repo.commit('ci: broken');
    const v = await gitlabValidate(repo.dir);
    assert.equal(v.status, 1, v.output);
    assert.match(v.output, /'scriptt' property is not expected/);
  });

  it('refuses a bad call with the fix', async () => {
    const repo = await scratchRepo();
    await repo.commit('feat: one');
    const none = await runCli(['ci'], { cwd: repo.dir });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /give one of --github or --gitlab/);
    const bad = await runCli(['ci', '--github', '--on', 'cron'], { cwd: repo.dir });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--on expects tag or branch, got "cron"/);
  });
});
