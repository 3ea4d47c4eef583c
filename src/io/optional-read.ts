import { access, readFile } from 'node:fs/promises';

/** Whether a path exists (any kind of file). */
export async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A file's contents, or null when it does not exist; any other failure (permissions, a folder) throws. */
export async function readOptional(path: string): Promise<Buffer | null>;
export async function readOptional(path: string, encoding: 'utf8'): Promise<string | null>;
export async function readOptional(path: string, encoding?: 'utf8'): Promise<Buffer | string | null> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
