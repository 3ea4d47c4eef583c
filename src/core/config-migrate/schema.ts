import * as z from 'zod';

const Key = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'expected a dotted key such as server.tls.mode');

const Step = z.union([
  z.object({ rename: z.object({ from: Key, to: Key }).strict() }).strict(),
  z.object({ remove: Key }).strict(),
  z.object({ default: z.object({ key: Key, value: z.json() }).strict() }).strict(),
]);
export type ConfigStep = z.infer<typeof Step>;

/**
 * A release's config migrations, in one JSON file: each entry moves the config to `version`
 * (its `config_version`) with declarative steps that can be reversed.
 */
export const ConfigMigrationsSchema = z
  .object({
    $schema: z.string().optional(),
    migrations: z.array(
      z.object({ version: z.number().int().min(1), description: z.string().optional(), steps: z.array(Step) }).strict(),
    ),
    deprecated: z
      .array(z.object({ key: Key, replacement: Key.nullable(), since: z.string().optional() }).strict())
      .default([]),
  })
  .strict();
export type ConfigMigrations = z.output<typeof ConfigMigrationsSchema>;
