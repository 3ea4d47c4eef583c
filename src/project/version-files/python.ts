import { unparsable } from './errors.ts';
import type { VersionFormat } from './types.ts';

const ASSIGNMENT =
  /^((?:__version__|VERSION|version)\s*(?::\s*(?:str|Final(?:\[str\])?)\s*)?=\s*)(["'])([^"'\n]*)\2(.*)$/m;

/** A Python module with `__version__ = "1.2.3"` (also `VERSION` / `version`, typed or not). */
export const python: VersionFormat = {
  read(text, path) {
    const m = ASSIGNMENT.exec(text);
    if (!m) throw unparsable(path, 'no __version__ = "…" assignment found');
    return [{ where: m[1]!.split(/[\s:=]/)[0]!, version: m[3]! }];
  },
  write(text, version, path) {
    python.read(text, path);
    return text.replace(
      ASSIGNMENT,
      (_all, lead: string, q: string, _old: string, rest: string) => `${lead}${q}${version}${q}${rest}`,
    );
  },
};
