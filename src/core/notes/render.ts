import Handlebars from 'handlebars';
import { SlipwayError } from '../errors.ts';
import { parseBlock } from '../changelog/document.ts';

export interface NotesContext {
  name: string;
  version: string;
  tag: string;
  date: string | null;
  previousVersion: string | null;
  channel: string;
  prerelease: boolean;
  breaking: boolean;
  security: boolean;
  /** A security release's severity (low … critical) and advisory id, from the commits' Severity:/Advisory: footers. */
  severity: string | null;
  advisory: string | null;
  /** Breaking changes and new features, for "What's New". */
  highlights: string[];
  sections: { title: string; entries: string[] }[];
  breakingChanges: string[];
  migrationGuide: string | null;
  install: string | null;
  compareUrl: string | null;
  links: { label: string; url: string }[];
}

/**
 * A changelog section's bullets for the notes, without the bullet marker. Continuation lines
 * (a breaking change's migration text) keep their indentation, so "- {{{this}}}" renders them
 * as part of the item.
 */
export function sectionsFromBlock(lines: readonly string[]): NotesContext['sections'] {
  return parseBlock(lines)
    .sections.map((s) => ({ title: s.title, entries: s.items.map((i) => i.text.replace(/^[-*+] /, '').trimEnd()) }))
    .filter((s) => s.entries.length > 0);
}

/** The first line of an entry: what "What's New" shows. */
export function firstLine(entry: string): string {
  return entry.split('\n', 1)[0]!;
}

export function renderNotes(template: string, context: NotesContext, source = 'the release notes template'): string {
  let compiled: Handlebars.TemplateDelegate<NotesContext>;
  try {
    compiled = Handlebars.compile<NotesContext>(template, { noEscape: true, strict: false });
    const out = compiled(context);
    return `${out.replace(/\n{3,}/g, '\n\n').trim()}\n`;
  } catch (error) {
    throw new SlipwayError(
      'TEMPLATE_ERROR',
      `${source} cannot be rendered: ${(error as Error).message.split('\n')[0]}; check its {{…}} tags`,
      { cause: error },
    );
  }
}

/** `{{version}}`-style placeholders in config strings (install command, migration guide link). */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}
