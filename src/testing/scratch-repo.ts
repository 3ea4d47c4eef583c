import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runGit } from '../git/run.ts';

/**
 * A git repository in a folder of ours with a fixed author and clock, for the demo and the
 * tests: every commit is one second after the last, so histories are reproducible.
 */
export class ScratchRepo {
  readonly dir: string;
  #clock: number;

  constructor(dir: string, start = Date.UTC(2026, 0, 5, 12) / 1000) {
    this.dir = dir;
    this.#clock = start;
  }

  static async create(dir: string, options: { branch?: string; start?: number } = {}): Promise<ScratchRepo> {
    await mkdir(dir, { recursive: true });
    const repo = new ScratchRepo(dir, options.start);
    await repo.git('init', '-q', '-b', options.branch ?? 'main');
    await repo.git('config', 'user.name', 'Slipway Test');
    await repo.git('config', 'user.email', 'test@slipway.invalid');
    await repo.git('config', 'commit.gpgsign', 'false');
    await repo.git('config', 'tag.gpgsign', 'false');
    return repo;
  }

  #env(): Record<string, string> {
    const date = `${this.#clock} +0000`;
    return { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
  }

  async git(...args: string[]): Promise<string> {
    return (await runGit(this.dir, args, { env: this.#env() })).stdout.trim();
  }

  /** Moves the clock on, e.g. a day between releases. */
  advance(seconds: number): void {
    this.#clock += seconds;
  }

  async write(path: string, content: string): Promise<void> {
    await mkdir(dirname(join(this.dir, path)), { recursive: true });
    await writeFile(join(this.dir, path), content);
  }

  /** Commits the message verbatim (a "#123" at the start of a line stays) and returns the sha. */
  async commit(message: string, files: Record<string, string> = {}): Promise<string> {
    this.#clock += 1;
    for (const [path, content] of Object.entries(files)) {
      await this.write(path, content);
      await this.git('add', '--', path);
    }
    await this.git('commit', '-q', '--allow-empty', '--cleanup=whitespace', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  async tag(name: string, options: { annotated?: boolean; at?: string } = {}): Promise<void> {
    this.#clock += 1;
    const args = options.annotated ? ['tag', '-a', '-m', name, name] : ['tag', name];
    if (options.at) args.push(options.at);
    await this.git(...args);
  }

  async merge(branch: string, message: string): Promise<string> {
    this.#clock += 1;
    await this.git('merge', '-q', '--no-ff', '-m', message, branch);
    return this.git('rev-parse', 'HEAD');
  }
}
