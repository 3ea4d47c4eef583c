import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { githubWorkflow, gitlabJob, type CiOptions } from '../../release/ci.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { loadProject } from '../context.ts';

/** slipway ci --github | --gitlab: the release job, in the library strategy's shape. */
export default defineCommand({
  options: {
    github: { flags: '--github', description: 'write .github/workflows/release.yml' },
    gitlab: { flags: '--gitlab', description: 'write .gitlab-ci.yml' },
    on: {
      flags: '--on <trigger>',
      description: 'tag: release the tag a maintainer pushes; branch: release from every push to the main branch',
      default: 'tag',
    },
    install: {
      flags: '--install <how>',
      description:
        'binary: download the Slipway executable from vars SLIPWAY_URL/SLIPWAY_SHA256; npm: the copy package.json pins',
      default: 'binary',
    },
    force: { flags: '--force', description: 'overwrite a file that is there already' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    if (flags.github === flags.gitlab) throw new SlipwayError('USAGE', 'give one of --github or --gitlab');
    if (flags.on !== 'tag' && flags.on !== 'branch')
      throw new SlipwayError('USAGE', `--on expects tag or branch, got "${flags.on}"`);
    if (flags.install !== 'binary' && flags.install !== 'npm')
      throw new SlipwayError('USAGE', `--install expects binary or npm, got "${flags.install}"`);
    const { config, root } = await loadProject(ctx, flags);
    const options: CiOptions = { trigger: flags.on, install: flags.install };
    const file = flags.github ? join('.github', 'workflows', 'release.yml') : '.gitlab-ci.yml';
    const text = flags.github ? githubWorkflow(config, options) : gitlabJob(config, options);
    const path = join(root, file);
    const existing = await readFile(path, 'utf8').catch(() => null);
    if (existing !== null && existing !== text && !flags.force && !flags.dryRun)
      throw new SlipwayError(
        'CONFIG_EXISTS',
        `${file} exists already and differs; pass --force to overwrite it (or --dry-run to see what would be written)`,
      );
    if (!flags.dryRun) {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, text);
    }
    if (flags.dryRun && existing !== null && existing !== text && !flags.force)
      ctx.out.warn(`${file} exists and differs: the real run needs --force to overwrite it`);
    ctx.out.result(flags.dryRun ? text : `${existing === text ? 'unchanged' : 'wrote'} ${file}`, {
      file,
      written: !flags.dryRun && existing !== text,
      dryRun: flags.dryRun === true,
      text,
    });
    return 0;
  },
});
