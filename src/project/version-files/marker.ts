import { unparsable } from './errors.ts';
import type { VersionFormat } from './types.ts';

const VERSION = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?/;

/**
 * Any text file: every line that carries the marker (in a comment, say
 * `const VERSION = "1.2.3"; // slipway-version`) has its first version replaced.
 */
export function markerFormat(marker: string): VersionFormat {
  const format: VersionFormat = {
    read(text, path) {
      const found = text
        .split('\n')
        .map((line, i) => ({ line, i }))
        .filter(({ line }) => line.includes(marker));
      if (found.length === 0) throw unparsable(path, `no line carries the marker "${marker}"`);
      return found.map(({ line, i }) => {
        const m = VERSION.exec(line.replace(marker, ''));
        if (!m) throw unparsable(path, `line ${i + 1} carries "${marker}" but holds no version`);
        return { where: `line ${i + 1}`, version: m[0] };
      });
    },
    write(text, version, path) {
      format.read(text, path);
      return text
        .split('\n')
        .map((line) => (line.includes(marker) ? line.replace(VERSION, version) : line))
        .join('\n');
    },
  };
  return format;
}
