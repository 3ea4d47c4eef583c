import { defineCommand, json } from '../command.ts';
import { DEFAULT_NOTES_TEMPLATE } from '../../core/notes/default-template.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { buildNotes } from '../../release/notes.ts';
import { loadProject } from '../context.ts';
import { checkDate, today } from '../output.ts';

export default defineCommand({
  args: [{ name: '[version]', description: 'version or tag, e.g. 1.2.0 or v1.2.0' }],
  options: {
    template: {
      flags: '-t, --template <file>',
      description: 'a Handlebars template to use instead of the configured one',
    },
    output: { flags: '-o, --output <file>', description: 'write the notes to a file' },
    date: { flags: '--date <YYYY-MM-DD>', description: 'date for a version that is not tagged yet' },
    printTemplate: { flags: '--print-template', description: 'print the default template and exit' },
    json,
  },
  async run(ctx, flags, args) {
    const { out } = ctx;
    if (flags.printTemplate) {
      out.result(DEFAULT_NOTES_TEMPLATE, { template: DEFAULT_NOTES_TEMPLATE });
      return 0;
    }
    const { config, root, repo } = await loadProject(ctx, flags);
    const abs = (p: string): string => ctx.path(p);
    const { markdown, context } = await buildNotes({
      cwd: root,
      repo,
      config,
      version: args[0] ?? null,
      template: flags.template === undefined ? null : abs(flags.template),
      date: flags.date === undefined ? today(ctx.io.env) : checkDate(flags.date),
    });
    if (flags.output !== undefined) {
      await writeFileAtomic(abs(flags.output), markdown);
      out.info(`wrote release notes for ${context.version} to ${flags.output}`);
      if (flags.json) out.result('', { version: context.version, file: abs(flags.output), markdown, context });
      return 0;
    }
    out.result(markdown, { version: context.version, markdown, context });
    return 0;
  },
});
