import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError } from '../../core/errors.ts';
import { parseMigrationName } from '../../core/migrate/parse.ts';
import { exists, writeFileAtomic } from '../../io/atomic-write.ts';
import { defineCommand, dryRun, json } from '../command.ts';

function timestamp(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

const TEMPLATE =
  '-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n\n-- +goose Down\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n';

export default defineCommand({
  args: [{ name: '<name>' }],
  options: {
    dir: { flags: '--dir <folder>', description: 'the migrations folder', default: 'migrations' },
    sequential: { flags: '--sequential', description: 'number it 00001, 00002… instead of a timestamp' },
    dryRun,
    json,
  },
  async run(ctx, flags, args) {
    const name = args[0] ?? '';
    if (!/^[A-Za-z0-9_]+$/.test(name))
      throw new SlipwayError(
        'USAGE',
        `a migration name is letters, digits and underscores (e.g. add_audit_index), got "${name}"`,
      );
    const folder = ctx.path(flags.dir);
    let id = timestamp(new Date());
    if (flags.sequential) {
      const existing = (await exists(folder))
        ? (await readdir(folder)).map((f) => parseMigrationName(f)?.version ?? 0n)
        : [];
      const next = existing.reduce((max, v) => (v > max ? v : max), 0n) + 1n;
      id = next.toString().padStart(5, '0');
    }
    const file = join(folder, `${id}_${name}.sql`);
    if (await exists(file)) throw new SlipwayError('MIGRATION_EXISTS', `${file} exists already`);
    if (!flags.dryRun) {
      await mkdir(folder, { recursive: true });
      await writeFileAtomic(file, TEMPLATE);
    }
    ctx.out.result(`${flags.dryRun ? 'would create' : 'created'} ${file}`, { file, dryRun: flags.dryRun === true });
  },
});
