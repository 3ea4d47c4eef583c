import { isAbsolute, join } from 'node:path';
import { DEFAULT_NOTES_TEMPLATE } from '../../core/notes/default-template.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { buildNotes } from '../../release/notes.ts';
import { loadProject, type GlobalOptions } from '../context.ts';
import { checkDate, createOutput, today } from '../output.ts';

interface NotesFlags extends GlobalOptions {
  template?: string;
  output?: string;
  date?: string;
  printTemplate?: boolean;
  json?: boolean;
}

export async function run(flags: NotesFlags, args: string[]): Promise<number> {
  const out = createOutput(flags.json === true);
  if (flags.printTemplate) {
    out.result(DEFAULT_NOTES_TEMPLATE, { template: DEFAULT_NOTES_TEMPLATE });
    return 0;
  }
  const { config, root, repo } = await loadProject(flags);
  const abs = (p: string): string => (isAbsolute(p) ? p : join(process.cwd(), p));
  const { markdown, context } = await buildNotes({
    cwd: root,
    repo,
    config,
    version: args[0] ?? null,
    template: flags.template === undefined ? null : abs(flags.template),
    date: flags.date === undefined ? today() : checkDate(flags.date),
  });
  if (flags.output !== undefined) {
    await writeFileAtomic(abs(flags.output), markdown);
    out.info(`wrote release notes for ${context.version} to ${flags.output}`);
    if (flags.json) out.result('', { version: context.version, file: abs(flags.output), markdown, context });
    return 0;
  }
  out.result(markdown, { version: context.version, markdown, context });
  return 0;
}
