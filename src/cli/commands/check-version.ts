import { EXIT, defineCommand, json } from '../command.ts';
import semver from 'semver';
import { SlipwayError } from '../../core/errors.ts';
import { classifyTags, parseVersionArgument } from '../../core/version/tags.ts';
import { listTags } from '../../git/tags.ts';
import { readVersions, resolveVersionFiles } from '../../project/version-files/index.ts';
import { loadProject } from '../context.ts';

/** The library strategy's "validate version against tag" step, for any language. */
export default defineCommand({
  options: {
    tag: {
      flags: '--tag <tag>',
      description: 'the tag to check against, e.g. v1.2.3 (default: the release tag at HEAD, if any)',
    },
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const { config, root, repo } = await loadProject(ctx, flags);
    let expected: string | null = null;
    let source = '';
    if (flags.tag !== undefined) {
      expected = parseVersionArgument(flags.tag, config.tagPrefix, '--tag');
      source = `tag ${flags.tag}`;
    } else {
      if (repo.head !== null) {
        const atHead = classifyTags(await listTags(root), config.tagPrefix).releases.find(
          (t) => t.commit === repo.head!.sha,
        );
        if (atHead) {
          expected = atHead.version;
          source = `tag ${atHead.name} at HEAD`;
        }
      }
    }
    const files = await resolveVersionFiles(root, config);
    if (files.length === 0)
      throw new SlipwayError(
        'NO_VERSION_FILES',
        'no version files to check: list them in "versionFiles" in slipway.json',
      );
    const found = await readVersions(root, files, expected);
    let ok: boolean;
    const lines: string[] = [];
    if (expected !== null) {
      ok = found.every((f) => f.matches === true);
      for (const f of found)
        lines.push(
          `${f.matches ? 'ok      ' : 'MISMATCH'} ${f.path} (${f.where}): ${f.version}${f.matches ? '' : `, expected ${f.expected}`}`,
        );
      lines.push(
        ok
          ? `all ${found.length} version locations match ${source}`
          : `version files disagree with ${source}; run \`slipway bump ${expected}\` or retag`,
      );
    } else {
      const distinct = new Set(found.map((f) => semver.valid(f.version) ?? f.version));
      ok = distinct.size <= 1;
      for (const f of found) lines.push(`${ok ? 'ok      ' : 'DIFFERS '} ${f.path} (${f.where}): ${f.version}`);
      lines.push(
        ok
          ? `all ${found.length} version locations agree (no release tag at HEAD; pass --tag to check against one)`
          : `version files disagree with each other; run \`slipway bump <version>\``,
      );
    }
    out.result(lines.join('\n'), { ok, expected, source: source || null, files: found });
    return ok ? 0 : EXIT.failed;
  },
});
