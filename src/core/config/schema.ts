import semver from 'semver';
import * as z from 'zod';

const BUMPS = ['major', 'minor', 'patch'] as const;
export type Bump = (typeof BUMPS)[number];

/** Keep a Changelog 1.1.0 section order. */
export const KEEP_A_CHANGELOG_SECTIONS = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'] as const;

const semverString = z.string().refine((v) => semver.valid(v) !== null && !v.startsWith('v'), {
  message: 'expected a semantic version such as 1.2.3 (no "v" prefix)',
});

const TypeRuleInput = z
  .object({
    section: z
      .string()
      .min(1)
      .nullable()
      .optional()
      .describe('Changelog section for this type (for example "Added"), or null to leave it out of the changelog.'),
    bump: z
      .enum(BUMPS)
      .nullable()
      .optional()
      .describe('The release this type warrants from 1.0.0 on, or null for none.'),
  })
  .strict();
export interface TypeRule {
  section: string | null;
  bump: Bump | null;
}

/** The default type table: feat -> minor, fix/perf/security/revert -> patch, the rest no release. */
export const DEFAULT_TYPES: Readonly<Record<string, TypeRule>> = {
  feat: { section: 'Added', bump: 'minor' },
  fix: { section: 'Fixed', bump: 'patch' },
  perf: { section: 'Changed', bump: 'patch' },
  security: { section: 'Security', bump: 'patch' },
  revert: { section: 'Changed', bump: 'patch' },
  deprecate: { section: 'Deprecated', bump: 'minor' },
  remove: { section: 'Removed', bump: 'minor' },
  breaking: { section: 'Changed', bump: 'major' },
  refactor: { section: null, bump: null },
  docs: { section: null, bump: null },
  style: { section: null, bump: null },
  test: { section: null, bump: null },
  build: { section: null, bump: null },
  ci: { section: null, bump: null },
  chore: { section: null, bump: null },
};

const VersionFile = z.union([
  z
    .string()
    .min(1)
    .describe('A path; its kind is taken from the file name (package.json, pyproject.toml, Cargo.toml, *.py).'),
  z
    .object({
      path: z.string().min(1),
      type: z
        .enum(['package-json', 'pyproject', 'cargo', 'python', 'marker'])
        .optional()
        .describe('How to read and write the version; taken from the file name when left out.'),
      format: z
        .enum(['semver', 'pep440'])
        .optional()
        .describe(
          'How a prerelease is spelled in the file: 1.2.0-beta.1 (semver) or 1.2.0b1 (pep440, the default for Python files).',
        ),
      marker: z
        .string()
        .min(1)
        .optional()
        .describe('For type "marker": the text that marks a version line (default "slipway-version").'),
    })
    .strict(),
]);
export type VersionFileEntry = z.infer<typeof VersionFile>;

const Changelog = z
  .object({
    file: z.string().min(1).default('CHANGELOG.md'),
    sections: z
      .array(z.string().min(1))
      .min(1)
      .default([...KEEP_A_CHANGELOG_SECTIONS])
      .describe('Section order; Keep a Changelog 1.1.0 by default.'),
    prereleases: z.boolean().default(true).describe('Write sections for beta/rc tags (nightly builds never get one).'),
  })
  .strict();

const Notes = z
  .object({
    template: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('A Handlebars template file that replaces the default release notes.'),
    install: z
      .string()
      .nullable()
      .default(null)
      .describe(
        'Installation command shown in the notes; {{version}} is replaced, e.g. "pip install pkg=={{version}}".',
      ),
    migrationGuide: z
      .string()
      .nullable()
      .default(null)
      .describe('Link shown when a release is breaking, e.g. "UPGRADING.md" or "docs/migration/{{version}}.md".'),
    links: z.array(z.object({ label: z.string().min(1), url: z.string().min(1) }).strict()).default([]),
  })
  .strict();

const Links = z
  .object({
    commit: z.string().default('{repository}/commit/{sha}'),
    issue: z.string().default('{repository}/issues/{id}'),
    compare: z.string().default('{repository}/compare/{from}...{to}'),
  })
  .strict();

const days = (d: number, what: string) =>
  z.number().positive().default(d).describe(`Days until ${what} metadata expires.`);

const Feed = z
  .object({
    mainBranch: z
      .string()
      .min(1)
      .default('main')
      .describe(
        'Releases on channels between the first and the stable one must be built from a commit on this branch.',
      ),
    hotfixBranches: z
      .string()
      .min(1)
      .default('hotfix/*')
      .describe('Branches (a glob) whose commits, cut from a stable tag, may go to stable without a beta first.'),
    hotfixTypes: z
      .array(z.string().min(1))
      .min(1)
      .default(['fix', 'security', 'perf', 'revert'])
      .describe(
        'Commit types a hotfix branch may carry since the stable tag it was cut from (release commits and dependency updates aside); anything else needs --allow <reason>.',
      ),
    enforcePromotion: z
      .boolean()
      .default(true)
      .describe('Refuse publishing or promoting a release that breaks the promotion rules.'),
    retention: z
      .record(z.string(), z.number().int().positive())
      .default({ nightly: 14 })
      .describe(
        'Per channel, how many releases to keep; older ones are pruned with their files. Channels left out keep everything.',
      ),
    expiry: z
      .object({
        root: days(365, 'root'),
        targets: days(90, 'targets and channel'),
        snapshot: days(14, 'snapshot'),
        timestamp: days(1, 'timestamp'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const argv = z
  .array(z.string())
  .min(1)
  .describe(
    'A command as an argument array (no shell): ["pytest", "tests/"]. {version}, {tag}, {channel}, {os} and {arch} are replaced.',
  );

const Gate = z
  .object({
    name: z.string().min(1).describe('What the gate checks, e.g. "tests"; shown in the plan and the checklist.'),
    run: argv,
    env: z.record(z.string(), z.string()).optional().describe('Extra environment for the command.'),
  })
  .strict();

const Build = z
  .object({
    name: z.string().min(1).optional().describe('A name for the step (default: the command).'),
    run: argv,
    env: z.record(z.string(), z.string()).optional(),
    matrix: z
      .object({
        os: z
          .array(z.string().regex(/^[a-z0-9_]+$/))
          .min(1)
          .optional(),
        arch: z
          .array(z.string().regex(/^[a-z0-9_]+$/))
          .min(1)
          .optional(),
      })
      .strict()
      .optional()
      .describe(
        'Run once per os x arch (e.g. {"os": ["linux"], "arch": ["amd64", "arm64"]}); {os} and {arch} are replaced.',
      ),
    artifacts: z
      .array(z.string().min(1))
      .default([])
      .describe('Globs of the files this step makes, relative to the repository (e.g. "dist/*.whl"); each must match.'),
  })
  .strict();

/** A forge's release settings: where its API is, which repository, and which variable holds the token. */
const Forge = (baseUrl: string, tokenEnv: string, repository: string) =>
  z
    .object({
      baseUrl: z
        .string()
        .url()
        .default(baseUrl)
        .describe('The API root (a GitHub Enterprise, self-managed GitLab or Gitea/Forgejo server has its own).'),
      repository: z.string().min(1).nullable().default(null).describe(`The repository: ${repository}.`),
      tokenEnv: z
        .string()
        .min(1)
        .default(tokenEnv)
        .describe('The environment variable holding the token (never written to disk or logs).'),
      name: z
        .string()
        .min(1)
        .default('{project} {tag}')
        .describe('The release title; {project}, {version}, {tag} are replaced.'),
    })
    .strict()
    .prefault({});

const Release = z
  .object({
    commitMessage: z
      .string()
      .min(1)
      .default('chore(release): v{version}')
      .describe('Message of the release commit; {version} and {tag} are replaced.'),
    tagMessage: z.string().min(1).default('Release {tag}').describe('Message of the annotated tag.'),
    sign: z
      .union([
        z.boolean().nullable(),
        z
          .object({
            tag: z
              .boolean()
              .nullable()
              .default(null)
              .describe("Sign the tag (git tag -s); null follows git's own tag.gpgSign setting."),
            gpg: z
              .string()
              .min(1)
              .nullable()
              .default(null)
              .describe(
                'A GPG key (id, fingerprint or e-mail) that signs each Python package with a detached armored signature (.asc), uploaded beside it.',
              ),
          })
          .strict(),
      ])
      .default(null)
      .describe(
        'true/false/null: sign the tag (null follows git\'s tag.gpgSign); or {"tag": …, "gpg": "<key>"} to also GPG-sign Python packages.',
      ),
    branches: z
      .record(z.string(), z.array(z.string().min(1)).min(1))
      .default({})
      .describe(
        'Per channel, the branches (globs) a release may be cut from. Left out: the main branch for prerelease channels; the main branch, hotfix branches and maintenance branches (1.x, 1.4.x) for stable.',
      ),
    gates: z.array(Gate).default([]).describe('Quality gates, run in order before anything is written.'),
    checklist: z
      .array(z.string().min(1))
      .default([])
      .describe('Items a person confirms before the release (asked on a terminal; --yes or "confirmed" in CI).'),
    confirmed: z
      .union([z.boolean(), z.array(z.string())])
      .default(false)
      .describe('Checklist items confirmed without asking (true: all), for CI.'),
    build: z
      .array(Build)
      .default([])
      .describe('Build steps, run after the tag; their artifacts are checked, hashed and published.'),
    feed: z
      .object({
        dir: z.string().min(1).default('feed').describe('The feed: a folder or s3://bucket/prefix.'),
        keys: z.string().min(1).default('keys').describe('The key folder.'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Publish the artifacts to this signed feed; null publishes nowhere.'),
    publish: z
      .array(
        z.union(
          [
            z.enum(['feed', 'npm', 'pypi', 'github', 'gitlab', 'gitea']),
            z
              .object({
                type: z.literal('command'),
                name: z.string().min(1),
                run: argv.describe(
                  'The command; {version}, {tag}, {channel} are replaced and an argument "{artifacts}" becomes one argument per artifact.',
                ),
                env: z.record(z.string(), z.string()).optional(),
              })
              .strict(),
          ],
          {
            error:
              'expected one of "feed", "npm", "pypi", "github", "gitlab", "gitea", or a command {"type": "command", "name": …, "run": […]}',
          },
        ),
      )
      .default(['feed'])
      .describe(
        'Where the publish step publishes, in order: "feed" (release.feed), "npm" (release.npm), "pypi" (release.pypi), "github", "gitlab", "gitea" (a forge release, release.<forge>), or a command. Each is idempotent: the same content again is a no-op, other content is refused.',
      ),
    npm: z
      .object({
        registry: z
          .string()
          .url()
          .nullable()
          .default(null)
          .describe("The registry; null: npm's own setting (publishConfig, .npmrc)."),
        tokenEnv: z
          .string()
          .min(1)
          .default('NPM_TOKEN')
          .describe('The environment variable holding the token (never written to disk or logs).'),
        distTags: z
          .record(z.string(), z.string().min(1))
          .default({ stable: 'latest', beta: 'beta', nightly: 'next' })
          .describe('The dist-tag per channel.'),
        access: z.enum(['public', 'restricted']).nullable().default(null),
        provenance: z
          .union([z.boolean(), z.literal('auto')])
          .default('auto')
          .describe('npm publish --provenance; "auto": when the CI offers an OIDC token.'),
        packages: z
          .array(z.string().min(1))
          .default(['.'])
          .describe('The package folders to publish (workspace packages), relative to the repository.'),
      })
      .strict()
      .prefault({}),
    pypi: z
      .object({
        repository: z
          .string()
          .url()
          .default('https://upload.pypi.org/legacy/')
          .describe(
            "The legacy upload API (twine's --repository-url): PyPI, https://test.pypi.org/legacy/, or a private index.",
          ),
        index: z
          .string()
          .url()
          .nullable()
          .default(null)
          .describe(
            'The simple index (PEP 503) read to see what is uploaded already; null: pypi.org/simple for PyPI, test.pypi.org/simple for TestPyPI, else <repository>/../simple/.',
          ),
        username: z.string().min(1).default('__token__').describe('The user name sent with the token.'),
        tokenEnv: z
          .string()
          .min(1)
          .default('PYPI_TOKEN')
          .describe('The environment variable holding the API token (never written to disk or logs).'),
        trustedPublishing: z
          .union([z.boolean(), z.literal('auto')])
          .default('auto')
          .describe(
            'Exchange the CI\'s OIDC token for a short-lived upload token (PyPI trusted publishing); "auto": when GitHub Actions offers one and no token is set.',
          ),
      })
      .strict()
      .prefault({}),
    github: Forge('https://api.github.com', 'GITHUB_TOKEN', 'owner/name; null: from "repository"'),
    gitlab: Forge(
      'https://gitlab.com/api/v4',
      'GITLAB_TOKEN',
      'the project path (group/name) or numeric id; null: from "repository"',
    ),
    gitea: Forge('https://codeberg.org/api/v1', 'GITEA_TOKEN', 'owner/name; null: from "repository"'),
    announce: z
      .array(
        z
          .object({
            type: z.literal('webhook'),
            format: z
              .enum(['slack', 'discord', 'mattermost'])
              .default('slack')
              .describe('The JSON the receiver takes: Slack and Mattermost {"text"}, Discord {"content"}.'),
            url: z.string().url().optional().describe('The incoming webhook (a secret: prefer urlEnv).'),
            urlEnv: z.string().min(1).optional().describe('The environment variable holding the webhook address.'),
            channels: z
              .array(z.string().min(1))
              .optional()
              .describe('Announce only releases on these channels (left out: all).'),
          })
          .strict()
          .refine((a) => (a.url === undefined) !== (a.urlEnv === undefined), {
            message: 'give the webhook as exactly one of "url" or "urlEnv"',
          }),
      )
      .default([])
      .describe('Announcements after publishing (a summary of the notes, a link to the release).'),
    push: z
      .union([z.literal(false), z.string().min(1)])
      .default(false)
      .describe('The remote to push the release commit and tag to (e.g. "origin"); false pushes nothing.'),
    post: z
      .array(Gate)
      .default([])
      .describe('Post-release steps (announce, docs links); a failure is reported, the release stands.'),
  })
  .strict();
export type ReleaseConfig = z.output<typeof Release>;

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    name: z
      .string()
      .min(1)
      .optional()
      .describe('Project name used in release notes; defaults to the repository folder name.'),
    repository: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) web address such as https://github.com/owner/repo' })
      .optional()
      .describe(
        'Web address of the repository, for issue, commit and compare links (e.g. https://github.com/owner/repo).',
      ),
    tagPrefix: z.string().default('v').describe('Prefix of release tags: "v" makes v1.2.3.'),
    initialVersion: semverString
      .default('0.1.0')
      .describe('The first version, when the repository has no release tag yet.'),
    channels: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case channel name such as "beta"'))
      .min(1)
      .default(['nightly', 'beta', 'stable'])
      .refine((c) => new Set(c).size === c.length, { message: 'channel names must be unique' })
      .describe('Release channels from least to most stable; the last one is the stable channel.'),
    types: z
      .record(z.string().regex(/^[a-z][\w-]*$/, 'expected a lower-case commit type'), TypeRuleInput)
      .default({})
      .describe('Commit types: changelog section and bump. Merged over the defaults.'),
    deps: z
      .object({
        scopes: z.array(z.string().min(1)).default(['deps']).describe('Scopes that mark a dependency update.'),
        types: z
          .array(z.string().min(1))
          .default(['fix', 'chore', 'build'])
          .describe('Commit types that, with one of those scopes, are a dependency update.'),
        bump: z
          .enum(BUMPS)
          .nullable()
          .default('patch')
          .describe('The release a dependency update warrants (release-please ships them as patches); null: none.'),
        section: z
          .string()
          .min(1)
          .nullable()
          .default('Changed')
          .describe('Changelog section for dependency updates, or null to leave them out.'),
      })
      .strict()
      .prefault({})
      .describe('Dependency updates (fix(deps), chore(deps), build(deps)): their own bump and changelog section.'),
    lifecycle: z
      .object({
        supportMonths: z
          .number()
          .int()
          .positive()
          .default(12)
          .describe('Months an older line keeps security fixes after the line that replaced it came out.'),
        securityLines: z
          .number()
          .int()
          .min(0)
          .nullable()
          .default(null)
          .describe('How many lines below the current one get security fixes; null: every line within its months.'),
        line: z
          .enum(['major', 'minor'])
          .default('major')
          .describe('A line per major (v1.x) or per minor (v1.4.x); 0.x versions make a line per minor either way.'),
        eol: z
          .record(
            z.string().regex(/^\d+(\.\d+)?$/, 'expected a line such as "1" or "0.2"'),
            z
              .string()
              .regex(
                /^(\d{4}-\d{2}-\d{2}|v?\d+\.\d+\.\d+)$/,
                'expected a date (2027-06-30) or the version whose release ends the line (v1.1.0)',
              ),
          )
          .default({})
          .refine(
            (eol) =>
              Object.values(eol).every(
                (v) => !/^\d{4}-\d{2}-\d{2}$/.test(v) || new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
              ),
            { message: 'an end-of-life date is not a real day (e.g. 2025-02-30)' },
          )
          .describe('Explicit end of life per line: a date, or the version whose release ends it.'),
      })
      .strict()
      .prefault({})
      .describe('The support policy: `slipway lifecycle` renders the table from it and the tags.'),
    calendar: z
      .array(
        z
          .object({
            version: semverString,
            target: z
              .string()
              .regex(
                /^\d{4}-(\d{2}|\d{2}-\d{2}|Q[1-4])$/,
                'expected a month (2026-06), a day (2026-06-15) or a quarter (2026-Q3)',
              ),
            focus: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([])
      .refine((rows) => new Set(rows.map((r) => r.version)).size === rows.length, {
        message: 'a version is planned twice; keep one entry per version',
      })
      .describe('Planned releases: `slipway calendar` shows each as released, planning, planned or late.'),
    cadence: z
      .record(
        z.string(),
        z
          .string()
          .regex(/^(\d+(ms|s|m|h|d|w))+$/, 'expected a duration such as 4w or 14d')
          .refine((d) => /[1-9]/.test(d), { message: 'a cadence of zero means a release every instant; give e.g. 4w' }),
      )
      .default({})
      .describe(
        'Per channel, the longest time between releases (e.g. {"stable": "4w"}); `slipway calendar` warns past it.',
      ),
    deprecation: z
      .object({
        minMinors: z
          .number()
          .int()
          .min(0)
          .default(1)
          .describe(
            'A removal (remove: commits, Removed: footers) must have been deprecated (a Deprecated: footer) this many minor releases before; 0 turns the rule off.',
          ),
      })
      .strict()
      .prefault({}),
    security: z
      .object({
        advisories: z
          .string()
          .min(1)
          .default('advisories')
          .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
            message: 'expected a folder inside the repository (no absolute path, no "..")',
          })
          .describe('The folder of advisories (OSV JSON, one file per advisory), relative to the repository.'),
        idPrefix: z
          .string()
          .regex(/^[A-Z][A-Z0-9-]*$/, 'expected upper-case letters, digits and dashes, e.g. "AIPANEL-SA"')
          .nullable()
          .default(null)
          .describe('Advisory ids are <idPrefix>-<year>-<n>; null: the project name in capitals, then -SA.'),
        slaHours: z
          .number()
          .positive()
          .default(48)
          .describe('Hours from disclosure within which a fix must be released (slipway security status checks it).'),
        ecosystem: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('The OSV ecosystem of the package (npm, PyPI, crates.io, …); null: from the version files.'),
      })
      .strict()
      .prefault({})
      .describe('The security lane: advisories, their ids, and the time a fix may take.'),
    upgrading: z
      .object({
        file: z
          .string()
          .min(1)
          .nullable()
          .default('UPGRADING.md')
          .describe('The upgrade guide a new major writes its section into (null: none).'),
        steps: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'The numbered migration steps of each section (e.g. "Run `aipanel update`: migrations apply automatically.").',
          ),
      })
      .strict()
      .prefault({})
      .describe(
        'UPGRADING.md: per major, the breaking changes with their BREAKING CHANGE notes, then the migration steps.',
      ),
    changelog: Changelog.prefault({}),
    notes: Notes.prefault({}),
    links: Links.prefault({}),
    feed: Feed.prefault({}),
    release: Release.prefault({}),
    versionFiles: z
      .array(VersionFile)
      .optional()
      .describe('Files that carry the version. Left out: package.json, pyproject.toml and Cargo.toml when present.'),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;

/** The config with the type table merged over the defaults: what the rest of core uses. */
export interface ResolvedConfig extends Omit<Config, 'types'> {
  types: Readonly<Record<string, TypeRule>>;
  stableChannel: string;
}

/** What decides a commit's bump and changelog section: the type table and the dependency policy. */
export type CommitRules = Pick<ResolvedConfig, 'types' | 'deps'>;

/** fix(deps), chore(deps), build(deps): a dependency update under the `deps` policy. */
export function isDependencyUpdate(commit: { type: string | null; scope: string | null }, rules: CommitRules): boolean {
  return (
    commit.type !== null &&
    commit.scope !== null &&
    rules.deps.scopes.includes(commit.scope) &&
    rules.deps.types.includes(commit.type)
  );
}

/** A dependency update follows `deps`; any other commit its type's rule. */
export function ruleFor(commit: { type: string | null; scope: string | null }, rules: CommitRules): TypeRule | null {
  if (commit.type === null) return null;
  if (isDependencyUpdate(commit, rules)) return { section: rules.deps.section, bump: rules.deps.bump };
  return rules.types[commit.type] ?? null;
}

export function resolveConfig(config: Config): ResolvedConfig {
  const types: Record<string, TypeRule> = { ...DEFAULT_TYPES };
  for (const [name, rule] of Object.entries(config.types)) {
    const base = DEFAULT_TYPES[name] ?? { section: null, bump: null };
    types[name] = {
      section: rule.section === undefined ? base.section : rule.section,
      bump: rule.bump === undefined ? base.bump : rule.bump,
    };
  }
  return {
    ...config,
    types,
    stableChannel: config.channels[config.channels.length - 1]!,
  };
}

/** The JSON Schema shipped in the package, so `"$schema"` completes in editors. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $id: 'https://slipway.dev/schema/slipway.schema.json',
    title: 'Slipway configuration (slipway.json)',
  };
}
