import { stat } from 'node:fs/promises';
import { SlipwayError } from '../../core/errors.ts';
import { parseVersionArgument } from '../../core/version/tags.ts';
import { tagCommit } from '../../git/write.ts';
import { checkArtifacts } from '../../release/check-artifact.ts';
import {
  announce,
  BUILT_IN,
  channelFor,
  preflight,
  publishTarget,
  targetName,
  type PublishTarget,
} from '../../release/publishers.ts';
import { readJournal } from '../../release/journal.ts';
import { buildNotes } from '../../release/notes.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { loadProject } from '../context.ts';
import { today } from '../output.ts';

/** slipway publish-to <target> <version> [files...]: one publisher alone, for a tagged release. */
export default defineCommand({
  args: [
    { name: '<target>', description: `${BUILT_IN.join(', ')}, or the name of a command in release.publish` },
    { name: '<version>', description: 'the released version (its tag must exist), e.g. 1.2.0' },
    {
      name: '[files...]',
      description: 'the artifacts (default: those of the last slipway release of this version, from its journal)',
    },
  ],
  options: {
    channel: { flags: '-c, --channel <channel>', description: "the channel (default: the version's own)" },
    announce: { flags: '--announce', description: 'post the release.announce webhooks afterwards' },
    allow: {
      flags: '--allow <reason>',
      description: 'publish a hotfix that breaks the lane rule (feed); the reason is recorded',
    },
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const [name, raw, ...files] = args as [string, string, ...string[]];
    const { config, root } = await loadProject(ctx, flags);
    const target: PublishTarget | undefined = config.release.publish.find((t) => targetName(t) === name);
    if (target === undefined)
      throw new SlipwayError(
        'USAGE',
        (BUILT_IN as readonly string[]).includes(name)
          ? `${name} is not in release.publish; add it there (with its settings, release.${name}) to publish to it: publish-to only publishes where the strategy says`
          : `no publish target "${name}" in release.publish (it has ${config.release.publish.map(targetName).join(', ') || 'none'})`,
      );
    preflight(config, ctx.io.env, [target], flags.announce === true);
    const version = parseVersionArgument(raw, config.tagPrefix);
    const tag = `${config.tagPrefix}${version}`;
    const commit = await tagCommit(root, tag);
    if (commit === null)
      throw new SlipwayError(
        'USAGE',
        `${tag} is not a tag of this repository; publish-to publishes a released version (slipway release makes the tag; git fetch --tags if it is on the remote)`,
      );
    let artifacts: string[];
    if (files.length > 0) artifacts = files.map((f) => ctx.path(f));
    else {
      const journal = await readJournal(root);
      if (target === 'npm')
        artifacts = []; // npm packs the package folders itself
      else if (journal === null || journal.version !== version)
        throw new SlipwayError(
          'USAGE',
          `no files named, and the last slipway release here ${journal === null ? 'left no journal' : `was ${journal.version}`}; name the artifacts: slipway publish-to ${name} ${version} dist/*`,
        );
      else artifacts = journal.artifacts.map((a) => `${root}/${a.path}`);
    }
    for (const f of artifacts) {
      const s = await stat(f).catch(() => null);
      if (s === null || !s.isFile())
        throw new SlipwayError('ARTIFACT_MISSING', `${f} ${s === null ? 'does not exist' : 'is not a file'}`);
    }
    // Read as the release's artifacts step reads them: an unreadable archive is refused, not skipped.
    await checkArtifacts(artifacts, version);
    const channel = flags.channel ?? channelFor(config, version);
    if (!config.channels.includes(channel))
      throw new SlipwayError('UNKNOWN_CHANNEL', `channel "${channel}" is not one of ${config.channels.join(', ')}`);
    // Only the feed, a forge release and an announcement carry the notes: the rest skip the history read.
    const carriesNotes =
      target === 'feed' || ['github', 'gitlab', 'gitea'].includes(target as string) || flags.announce;
    let notes = '';
    if (carriesNotes) {
      notes = (await buildNotes({ cwd: root, config, version, template: null, date: today(ctx.io.env) })).markdown;
    }
    const input = {
      root,
      config,
      env: ctx.io.env,
      version,
      tag,
      channel,
      commit,
      artifacts,
      notes,
      now: new Date(),
      allow: flags.allow ?? null,
      dryRun: flags.dryRun === true,
      onProgress: (line: string) => ctx.out.progress(line),
      onOutput: (chunk: Buffer) => ctx.io.stderr.write(chunk.toString('utf8')),
    };
    const r = await publishTarget(target, input);
    const announced = flags.announce ? await announce(input, [r]) : [];
    ctx.out.result([r.detail, ...announced].join('\n'), {
      target: r.target,
      version,
      tag,
      channel,
      outcome: r.outcome,
      detail: r.detail,
      url: r.url,
      announced,
      dryRun: flags.dryRun === true,
    });
    return 0;
  },
});
