import { defineCommand, dryRun, json } from '../command.ts';
import { SlipwayError } from '../../core/errors.ts';
import { parseVersionArgument } from '../../core/version/tags.ts';
import { applyVersionWrite, planVersionWrite, resolveVersionFiles } from '../../project/version-files/index.ts';
import { nextVersionOrFail } from '../../release/next-version.ts';
import { loadProject } from '../context.ts';

export default defineCommand({
  args: [{ name: '<version>', description: 'the version to write, or "next" for what `slipway next` decides' }],
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'channel when the version is "next"' },
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const { out } = ctx;
    const { config, root, repo } = await loadProject(ctx, flags);
    let version: string;
    const wanted = args[0]!;
    if (wanted === 'next') {
      version = await nextVersionOrFail(
        { cwd: root, repo, config, channel: flags.channel },
        'give a version: slipway bump 1.2.3',
      );
    } else {
      version = parseVersionArgument(wanted, config.tagPrefix);
    }
    const files = await resolveVersionFiles(root, config);
    if (files.length === 0) {
      throw new SlipwayError(
        'NO_VERSION_FILES',
        'no version files: list them in "versionFiles" in slipway.json (package.json, pyproject.toml, Cargo.toml are found by themselves)',
      );
    }
    const changes = await planVersionWrite(root, files, version);
    if (!flags.dryRun)
      await applyVersionWrite(
        root,
        changes.filter((c) => c.from.some((f) => f !== c.to)),
      );
    const lines = changes.map(
      (c) => `${flags.dryRun ? 'would write' : 'wrote'} ${c.path}: ${[...new Set(c.from)].join(', ')} -> ${c.to}`,
    );
    out.result(lines.join('\n'), {
      version,
      dryRun: flags.dryRun === true,
      files: changes.map(({ path, from, to }) => ({ path, from, to })),
    });
    return 0;
  },
});
