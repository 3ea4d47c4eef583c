import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../core/config/parse.ts';
import type { ResolvedConfig } from '../core/config/schema.ts';
import { SlipwayError } from '../core/errors.ts';

export const CONFIG_FILE = 'slipway.json';

export interface LoadedConfig {
  config: ResolvedConfig;
  /** The file read, or null when there is none and the defaults apply. */
  path: string | null;
}

/** Reads slipway.json from the repository root; the defaults apply when there is none. */
export async function loadConfig(root: string, explicit?: string): Promise<LoadedConfig> {
  const path = explicit ?? join(root, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined)
      return { config: defaultConfig(), path: null };
    throw new SlipwayError('CONFIG_UNREADABLE', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return { config: parseConfig(text, path), path };
}
