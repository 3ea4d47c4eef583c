import { defineCommand, dryRun, json } from '../command.ts';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { parseVersionArgument } from '../../core/version/tags.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { buildChangelog } from '../../release/changelog.ts';
import { nextVersionOrFail } from '../../release/next-version.ts';
import { loadProject } from '../context.ts';
import { checkDate, today } from '../output.ts';

export default defineCommand({
  options: {
    release: {
      flags: '--release <version>',
      description: 'write the section of this version (the release being cut) from [Unreleased]',
    },
    next: { flags: '--next', description: 'like --release, with the version `slipway next` decides' },
    channel: { flags: '-c, --channel <channel>', description: 'channel for --next' },
    regenerate: {
      flags: '--regenerate',
      description: 'rebuild every release section from the whole history (hand-written lines are kept)',
    },
    date: {
      flags: '--date <YYYY-MM-DD>',
      description: 'date of the release being cut (default: today, UTC, or SOURCE_DATE_EPOCH)',
    },
    output: { flags: '-o, --output <file>', description: 'write here instead of the configured changelog file' },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const { config, root, repo } = await loadProject(ctx, flags);
    if (flags.release !== undefined && flags.next)
      throw new SlipwayError('USAGE', 'give --release <version> or --next, not both');
    const date = flags.date === undefined ? today(ctx.io.env) : checkDate(flags.date);
    let release =
      flags.release === undefined ? null : parseVersionArgument(flags.release, config.tagPrefix, '--release');
    if (flags.next) {
      release = await nextVersionOrFail(
        { cwd: root, repo, config, channel: flags.channel },
        'give --release <version>',
      );
    }
    const path =
      flags.output === undefined
        ? join(root, config.changelog.file)
        : isAbsolute(flags.output)
          ? flags.output
          : ctx.path(flags.output);
    let existing: string | null = null;
    try {
      existing = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const result = await buildChangelog({
      cwd: root,
      repo,
      config,
      existing,
      mode: flags.regenerate ? 'regenerate' : 'update',
      release,
      date,
      onProgress: (n) => out.progress(`reading history… ${n.toLocaleString('en')} commits`),
    });
    const rel = relative(ctx.io.cwd, path);
    const shown = rel === '' || rel.startsWith('..') ? path : rel;
    const data = {
      file: path,
      changed: result.changed,
      written: result.changed && !flags.dryRun,
      added: result.added,
      updated: result.updated,
      commitsRead: result.commitsRead,
      skippedTags: result.skippedTags,
      dryRun: flags.dryRun === true,
    };
    if (flags.dryRun) {
      out.result(result.text, { ...data, text: result.text });
      return 0;
    }
    if (result.changed) await writeFileAtomic(path, result.text);
    const list = (versions: string[]): string =>
      versions.length <= 6
        ? versions.join(', ')
        : `${versions.length} releases (${versions[0]} … ${versions[versions.length - 1]})`;
    const summary = !result.changed
      ? `${shown} is up to date`
      : `${existing === null ? 'created' : 'updated'} ${shown}${result.added.length > 0 ? `: added ${list(result.added)}` : ''}${result.updated.length > 0 ? `${result.added.length > 0 ? ';' : ':'} updated ${list(result.updated)}` : ''}`;
    out.result(summary, data);
    return 0;
  },
});
