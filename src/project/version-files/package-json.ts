import { applyEdits, modify, parse, printParseErrorCode, visit, type ParseError } from 'jsonc-parser';
import type { VersionFormat, VersionLocation } from './types.ts';
import { unparsable } from './errors.ts';

function parseJson(text: string, path: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0)
    throw unparsable(path, `invalid JSON: ${printParseErrorCode(errors[0]!.error)} at offset ${errors[0]!.offset}`);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw unparsable(path, 'expected a JSON object');
  // {"version":"0.1.0","version":"0.2.0"} is valid JSON, and readers disagree on which one counts:
  // reading one and writing the other would leave the file saying two things.
  const lines = new Map<string, number[]>();
  visit(text, {
    onObjectProperty(name, _offset, _length, startLine, _startCharacter, pathSupplier) {
      if (pathSupplier().length !== 0 || (name !== 'version' && name !== 'packages')) return;
      lines.set(name, [...(lines.get(name) ?? []), startLine + 1]);
    },
  });
  for (const [name, at] of lines)
    if (at.length > 1)
      throw unparsable(
        path,
        `"${name}" appears ${at.length} times at the top level (lines ${at.join(', ')}); JSON readers disagree on which one counts, so keep exactly one`,
      );
  return data as Record<string, unknown>;
}

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2 } };

/** package.json: the top-level "version". Edits keep the file's own formatting. */
export const packageJson: VersionFormat = {
  read(text, path) {
    const data = parseJson(text, path);
    if (typeof data.version !== 'string') throw unparsable(path, 'it has no "version" string');
    return [{ where: 'version', version: data.version }];
  },
  write(text, version, path) {
    packageJson.read(text, path);
    return applyEdits(text, modify(text, ['version'], version, FORMAT));
  },
};

/** package-lock.json / npm-shrinkwrap.json: "version" and packages[""].version. */
export const packageLock: VersionFormat = {
  read(text, path) {
    const data = parseJson(text, path);
    const found: VersionLocation[] = [];
    if (typeof data.version === 'string') found.push({ where: 'version', version: data.version });
    const root = (data.packages as Record<string, { version?: unknown }> | undefined)?.[''];
    if (typeof root?.version === 'string') found.push({ where: 'packages[""].version', version: root.version });
    return found;
  },
  write(text, version, path) {
    const found = packageLock.read(text, path);
    let out = text;
    for (const f of found) {
      const key = f.where === 'version' ? ['version'] : ['packages', '', 'version'];
      out = applyEdits(out, modify(out, key, version, FORMAT));
    }
    return out;
  },
};
