import { parse } from 'smol-toml';
import { unparsable } from './errors.ts';
import type { VersionFormat, VersionLocation } from './types.ts';

function parseToml(text: string, path: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    throw unparsable(path, `invalid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function table(data: Record<string, unknown>, dotted: string): Record<string, unknown> | undefined {
  let t: unknown = data;
  for (const key of dotted.split('.')) {
    if (t === null || typeof t !== 'object') return undefined;
    t = (t as Record<string, unknown>)[key];
  }
  return t !== null && typeof t === 'object' ? (t as Record<string, unknown>) : undefined;
}

// Basic, literal and (single-line) multi-line strings: "1.2.3", '1.2.3', """1.2.3""", '''1.2.3'''.
const VERSION_LINE = /^(\s*version\s*=\s*)("""|'''|"|')([^"'\n]*)\2(.*)$/;

/** Rewrites `version = "…"` inside `[name]` only, keeping every other byte of the file. */
function replaceInTable(text: string, name: string, version: string, path: string): string {
  const lines = text.split('\n');
  let inTable = false;
  let done = false;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^[\]]+)\]\s*(?:#.*)?$/.exec(lines[i]!.replace(/\r$/, ''));
    if (header) {
      inTable = header[1]!.trim().replace(/\s*\.\s*/g, '.') === name;
      continue;
    }
    if (!inTable || done) continue;
    // A CRLF file keeps its line ends.
    const cr = lines[i]!.endsWith('\r') ? '\r' : '';
    const m = VERSION_LINE.exec(cr === '' ? lines[i]! : lines[i]!.slice(0, -1));
    if (m) {
      lines[i] = `${m[1]}${m[2]}${version}${m[2]}${m[4]}${cr}`;
      done = true;
    }
  }
  if (!done) throw unparsable(path, `no version = "…" line in [${name}] to rewrite`);
  return lines.join('\n');
}

function tomlFormat(tables: readonly string[], dynamicHint: string): VersionFormat {
  const format: VersionFormat = {
    read(text, path) {
      const data = parseToml(text, path);
      const found: VersionLocation[] = [];
      for (const name of tables) {
        const v = table(data, name)?.version;
        if (typeof v === 'string') found.push({ where: `[${name}] version`, version: v });
      }
      if (found.length === 0)
        throw unparsable(path, `no version in ${tables.map((t) => `[${t}]`).join(' or ')}${dynamicHint}`);
      return found;
    },
    write(text, version, path) {
      let out = text;
      for (const f of format.read(text, path))
        out = replaceInTable(out, f.where.slice(1, f.where.indexOf(']')), version, path);
      // Check our own edit the way any TOML reader will see it.
      const check = format.read(out, path);
      if (check.some((c) => c.version !== version))
        throw unparsable(path, 'the rewritten file does not hold the new version; edit it by hand');
      return out;
    },
  };
  return format;
}

/** pyproject.toml: `[project] version` (PEP 621) and `[tool.poetry] version`. */
export const pyproject = tomlFormat(
  ['project', 'tool.poetry'],
  ' (a dynamic version lives in the package; list its __version__ file instead)',
);
/** Cargo.toml: `[package] version` and `[workspace.package] version`. */
export const cargo = tomlFormat(
  ['package', 'workspace.package'],
  ' (with version.workspace = true, list the workspace Cargo.toml instead)',
);
