import { z } from 'zod';
import { SlipwayError } from './errors.ts';
import { parseJsonDocument } from './json-document.ts';
import { parseDuration } from './schedule/duration.ts';

/**
 * slipway.app.json, shipped at the top of every artifact: how to start the app, how to tell it is
 * healthy, and where its database and config migrations are. Strings may use {port}, {root},
 * {data}, {release}, {version}, {config}, {db} and {node} (the Node.js running Slipway), filled in by the agent.
 */
export const APP_MANIFEST = 'slipway.app.json';

const Duration = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, 'expected a duration such as 500ms, 10s or 2m');
const Relative = z
  .string()
  .min(1)
  .refine(
    (p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'),
    'expected a path inside the release (relative, no "..")',
  );

export const AppManifestSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    version: z.string().optional().describe('When given, must equal the release version.'),
    start: z
      .object({
        command: z
          .array(z.string().min(1))
          .min(1)
          .describe('The program and its arguments, run in the release folder; no shell.'),
        env: z.record(z.string(), z.string()).default({}),
        stopTimeout: Duration.default('10s').describe('How long the app gets to exit after SIGTERM before SIGKILL.'),
      })
      .strict(),
    health: z
      .object({
        url: z.string().optional().describe('An HTTP URL that answers 2xx when the app is healthy.'),
        command: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('A command that exits 0 when the app is healthy.'),
        successes: z.number().int().min(1).default(3).describe('Consecutive successes needed.'),
        interval: Duration.default('1s'),
        timeout: Duration.default('60s').describe('Time limit for reaching the successes.'),
      })
      .strict()
      .refine(
        (h) => (h.url === undefined) !== (h.command === undefined),
        'give exactly one of health.url and health.command',
      ),
    migrations: Relative.optional().describe(
      'Folder of goose SQL migrations, applied on update and reversed on rollback.',
    ),
    configMigrations: Relative.optional().describe('JSON file of config migrations for config.json.'),
  })
  .strict();
export type AppManifest = z.output<typeof AppManifestSchema>;

export function parseAppManifest(text: string, where: string, releaseVersion?: string): AppManifest {
  const manifest = parseJsonDocument(AppManifestSchema, text, {
    where,
    kind: 'a valid app manifest',
    code: 'APP_MANIFEST_INVALID',
  });
  if (
    releaseVersion !== undefined &&
    manifest.version !== undefined &&
    manifest.version.replace(/^v/, '') !== releaseVersion
  ) {
    throw new SlipwayError(
      'APP_MANIFEST_INVALID',
      `${where} says version ${manifest.version}, but the release is ${releaseVersion}`,
    );
  }
  return manifest;
}

/** Fills {name} placeholders; an unknown one is an error rather than a silent empty string. */
export function fill(template: string, vars: Readonly<Record<string, string>>, where: string): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined)
      throw new SlipwayError(
        'APP_MANIFEST_INVALID',
        `${where}: unknown placeholder ${whole}; expected one of ${Object.keys(vars)
          .map((k) => `{${k}}`)
          .join(', ')}`,
      );
    return v;
  });
}
