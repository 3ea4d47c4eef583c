import { defineCommand, dryRun, json } from '../command.ts';
import { glob, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { DEFAULT_PREAMBLE } from '../../core/changelog/merge.ts';
import { remoteUrl } from '../../git/refs.ts';
import { exists, writeFileAtomic } from '../../io/atomic-write.ts';
import { CONFIG_FILE } from '../../project/config-file.ts';
import { openRepository } from '../../git/repo.ts';

/** git@github.com:o/r.git and https://github.com/o/r.git -> https://github.com/o/r */
export function webUrl(remote: string): string | null {
  const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+?)(?:\.git)?\/?$/.exec(remote);
  if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
  const http = /^https?:\/\/(?:[^@/]+@)?([^/]+)\/(.+?)(?:\.git)?\/?$/.exec(remote);
  if (http) return `https://${http[1]}/${http[2]}`;
  return null;
}

/**
 * A Python package's own version module: src/<pkg>/version.py (or __version__.py, or the
 * package's __init__.py when that is where __version__ is assigned), one per package.
 */
async function pythonVersionFiles(root: string): Promise<string[]> {
  const found = new Map<string, string>();
  const rank = (f: string): number => (f.endsWith('/__init__.py') ? 2 : 1);
  for (const pattern of [
    'src/*/version.py',
    'src/*/__version__.py',
    'src/*/__init__.py',
    '*/version.py',
    '*/__version__.py',
    '*/__init__.py',
  ]) {
    for await (const file of glob(pattern, { cwd: root })) {
      const rel = file.split(sep).join('/');
      if (/^(tests?|docs|node_modules|\.[^/]*)\//.test(rel)) continue;
      const text = await readFile(join(root, rel), 'utf8').catch(() => '');
      if (!/^__version__\s*(?::[^=]*)?=\s*["']/m.test(text)) continue;
      const pkg = rel.slice(0, rel.lastIndexOf('/'));
      const had = found.get(pkg);
      if (had === undefined || rank(rel) < rank(had)) found.set(pkg, rel);
    }
  }
  return [...found.values()].sort();
}

export default defineCommand({
  options: {
    force: { flags: '--force', description: 'overwrite an existing slipway.json' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const repo = await openRepository(ctx.path(flags.cwd ?? '.'));
    const root = repo.root;
    const configPath = join(root, CONFIG_FILE);
    if ((await exists(configPath)) && !flags.force) {
      throw new SlipwayError(
        'CONFIG_EXISTS',
        `${relative(ctx.io.cwd, configPath) || configPath} already exists; pass --force to overwrite it`,
      );
    }
    const remote = await remoteUrl(root, 'origin');
    const repository = remote === null ? null : webUrl(remote);
    const versionFiles: string[] = [];
    for (const name of ['package.json', 'pyproject.toml', 'Cargo.toml'])
      if (await exists(join(root, name))) versionFiles.push(name);
    versionFiles.push(...(await pythonVersionFiles(root)));
    const hasSchema = await exists(join(root, 'node_modules/slipway/schema/slipway.schema.json'));
    const config: Record<string, unknown> = {
      $schema: hasSchema
        ? './node_modules/slipway/schema/slipway.schema.json'
        : 'https://slipway.dev/schema/slipway.schema.json',
      ...(repository === null ? {} : { repository }),
      tagPrefix: 'v',
      channels: ['nightly', 'beta', 'stable'],
      changelog: { file: 'CHANGELOG.md' },
      versionFiles,
    };
    const text = `// Slipway release strategy: see \`slipway schema\` for every key.\n${JSON.stringify(config, null, 2)}\n`;
    const changelogPath = join(root, 'CHANGELOG.md');
    const writeChangelog = !(await exists(changelogPath));
    const changelog = `${[...DEFAULT_PREAMBLE, '## [Unreleased]'].join('\n')}\n`;
    const written = [CONFIG_FILE, ...(writeChangelog ? ['CHANGELOG.md'] : [])];
    if (!flags.dryRun) {
      await writeFileAtomic(configPath, text);
      if (writeChangelog) await writeFileAtomic(changelogPath, changelog);
    }
    const verb = flags.dryRun ? 'would write' : 'wrote';
    out.result(
      flags.dryRun
        ? `${verb} ${CONFIG_FILE}:\n${text}${writeChangelog ? `\n${verb} CHANGELOG.md:\n${changelog}` : ''}`
        : `${verb} ${written.join(' and ')} in ${root}`,
      { root, files: written, dryRun: flags.dryRun === true, config },
    );
    return 0;
  },
});
