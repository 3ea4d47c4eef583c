import type { CommandDef, OptionSpec } from './command.ts';

/** A command's module, loaded only when that command runs (or its --help is asked for). */
export type CommandModule = { default: CommandDef<Record<string, OptionSpec>> };

export interface CommandEntry {
  /** The words that name it: ['feed', 'serve']. */
  path: readonly string[];
  summary: string;
  /** Absent for a group that only holds subcommands (keys, feed, config, migrate). */
  load?: () => Promise<CommandModule>;
  /** Extra help text after the options. */
  after?: string;
}

const m = (load: () => Promise<unknown>) => load as () => Promise<CommandModule>;

/** Every slipway command, in the order `slipway --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  // The maintainer: plan a release.
  {
    path: ['init'],
    summary: 'write a starter slipway.json and CHANGELOG.md',
    load: m(() => import('./commands/init.ts')),
  },
  {
    path: ['next'],
    summary: 'decide the next version from the Conventional Commits since the last release',
    load: m(() => import('./commands/next.ts')),
  },
  {
    path: ['changelog'],
    summary: 'create or update CHANGELOG.md (Keep a Changelog 1.1.0) from the commits',
    load: m(() => import('./commands/changelog.ts')),
  },
  {
    path: ['notes'],
    summary: 'render release notes for a version (default: the latest release)',
    load: m(() => import('./commands/notes.ts')),
  },
  {
    path: ['bump'],
    summary: 'write a version into every version file (package.json, pyproject.toml, Cargo.toml, __version__, markers)',
    load: m(() => import('./commands/bump.ts')),
  },
  {
    path: ['check-version'],
    summary: 'fail unless every version file agrees with the tag and with each other',
    load: m(() => import('./commands/check-version.ts')),
  },
  {
    path: ['release'],
    summary:
      'carry out the release strategy: gates, checklist, version files, changelog, commit, tag, build, publish, push',
    load: m(() => import('./commands/release.ts')),
    after:
      '\nThe steps come from "release" in slipway.json. Each is journaled in .slipway/release.json: a run that\nstops before the tag leaves the tree as it was; after the tag, --resume (or a rerun) finishes it\nwithout a second tag or a duplicate upload.',
  },
  {
    path: ['publish-to'],
    summary: 'publish a tagged release to one target alone: feed, npm, pypi, github, gitlab, gitea or a command',
    load: m(() => import('./commands/publish-to.ts')),
    after:
      '\nEvery target is idempotent: what is there already with the same content is left, other content is\nrefused (PUBLISH_CONFLICT). Tokens come from the environment variables release.<target>.tokenEnv names.',
  },
  {
    path: ['lifecycle'],
    summary: 'the version lifecycle table (current, security only, end of life) from the tags and "lifecycle"',
    load: m(() => import('./commands/lifecycle.ts')),
    after:
      "\n--json gives endoflife.date's release-cycle shape: cycle, releaseDate, eol, latest, latestReleaseDate, support.",
  },
  {
    path: ['calendar'],
    summary: 'the release calendar ("calendar": released, planning, planned, late) and the cadence check',
    load: m(() => import('./commands/calendar.ts')),
  },
  {
    path: ['advisory'],
    summary: 'security advisories (OSV): new, list, show, publish',
    after:
      '\nAdvisories are OSV JSON files in security.advisories (default advisories/), private until published.\nA commit with a "Fixes-Advisory: <id>" footer fixes one: its ranges are computed from the releases.',
  },
  {
    path: ['advisory', 'new'],
    summary: 'write a new advisory (private until published)',
    load: m(() => import('./commands/advisory-new.ts')),
  },
  {
    path: ['advisory', 'list'],
    summary: 'list the advisories, their severity and fixed releases',
    load: m(() => import('./commands/advisory-list.ts')),
  },
  {
    path: ['advisory', 'show'],
    summary: "print an advisory's OSV JSON, ranges computed from the tags",
    load: m(() => import('./commands/advisory-show.ts')),
  },
  {
    path: ['advisory', 'publish'],
    summary: 'make an advisory public once fixed (after its disclosure time)',
    load: m(() => import('./commands/advisory-publish.ts')),
  },
  { path: ['security'], summary: 'the security lane' },
  {
    path: ['security', 'status'],
    summary: 'open advisories against the fix SLA (security.slaHours); exit 1 past it',
    load: m(() => import('./commands/security-status.ts')),
  },
  {
    path: ['ci'],
    summary: 'write the release job for GitHub Actions (--github) or GitLab CI (--gitlab)',
    load: m(() => import('./commands/ci.ts')),
  },
  {
    path: ['checklist'],
    summary: 'print the release checklist for the next release, gates ticked from their last results',
    load: m(() => import('./commands/checklist.ts')),
  },
  // Migrations.
  {
    path: ['migrate'],
    summary: 'goose-compatible SQL migrations on SQLite or PostgreSQL',
    after: '\nThe database comes from --db or SLIPWAY_DB: a SQLite file path or a postgres:// URL.',
  },
  {
    path: ['migrate', 'status'],
    summary: 'list the migrations and which are applied',
    load: m(() => import('./commands/migrate-status.ts')),
  },
  {
    path: ['migrate', 'up'],
    summary: 'apply every pending migration',
    load: m(() => import('./commands/migrate-up.ts')),
  },
  {
    path: ['migrate', 'up-to'],
    summary: 'apply pending migrations up to a version',
    load: m(() => import('./commands/migrate-up-to.ts')),
  },
  {
    path: ['migrate', 'up-by-one'],
    summary: 'apply the next pending migration',
    load: m(() => import('./commands/migrate-up-by-one.ts')),
  },
  {
    path: ['migrate', 'down'],
    summary: 'roll back the newest applied migration',
    load: m(() => import('./commands/migrate-down.ts')),
  },
  {
    path: ['migrate', 'down-to'],
    summary: 'roll back to a version (0: everything)',
    load: m(() => import('./commands/migrate-down-to.ts')),
  },
  {
    path: ['migrate', 'redo'],
    summary: 'roll back the newest migration and apply it again',
    load: m(() => import('./commands/migrate-redo.ts')),
  },
  {
    path: ['migrate', 'validate'],
    summary: 'check every migration file without touching a database',
    load: m(() => import('./commands/migrate-validate.ts')),
  },
  {
    path: ['migrate', 'create'],
    summary: 'write a new migration file',
    load: m(() => import('./commands/migrate-create.ts')),
  },
  {
    path: ['migrate', 'config'],
    summary: 'move a JSON config file to another config_version (rename, remove, default; reversible)',
    load: m(() => import('./commands/migrate-config.ts')),
  },
  // The feed.
  { path: ['keys'], summary: 'signing keys for the feed (encrypted with $SLIPWAY_KEY_PASSPHRASE)' },
  {
    path: ['keys', 'init'],
    summary: 'create a key for each TUF role and channel, and the ECDSA P-256 release signing key',
    load: m(() => import('./commands/keys-init.ts')),
  },
  {
    path: ['keys', 'rotate'],
    summary: "replace a role's key; for root, writes N+1.root.json signed by the old and the new key",
    load: m(() => import('./commands/keys-rotate.ts')),
  },
  { path: ['feed'], summary: 'the signed release feed (a TUF repository of static files)' },
  {
    path: ['feed', 'init'],
    summary: 'create a new feed signed with the keys',
    load: m(() => import('./commands/feed-init.ts')),
  },
  {
    path: ['feed', 'status'],
    summary: "every role's version and expiry, and each channel's releases (exit 1 when a role has expired)",
    load: m(() => import('./commands/feed-status.ts')),
  },
  {
    path: ['feed', 'refresh'],
    summary: 'sign the timestamp again (and the snapshot and channel roles when they near expiry)',
    load: m(() => import('./commands/feed-refresh.ts')),
  },
  {
    path: ['feed', 'verify'],
    summary: 'read the feed with a real TUF client (tuf-js) and report what an instance on each channel would install',
    load: m(() => import('./commands/feed-verify.ts')),
  },
  {
    path: ['feed', 'serve'],
    summary: 'serve the feed folder over HTTP (ETag/304, Range, HEAD, gzip, cache headers)',
    load: m(() => import('./commands/feed-serve.ts')),
  },
  {
    path: ['feed', 'prune'],
    summary: 'apply the retention rules (feed.retention) or keep the newest --keep releases of --channel',
    load: m(() => import('./commands/feed-prune.ts')),
  },
  {
    path: ['feed', 'publish-agent'],
    summary: "publish Slipway's own executables (npm run build:binaries) to a channel, for install.sh and self-update",
    load: m(() => import('./commands/feed-publish-agent.ts')),
  },
  {
    path: ['feed', 'install-script'],
    summary: 'write install.sh into the feed, for curl -fsSL <feed>/install.sh | bash -s -- --channel=beta',
    load: m(() => import('./commands/feed-install-script.ts')),
  },
  {
    path: ['publish'],
    summary: "publish a release's artifacts to a channel of the feed (checks the promotion rules)",
    load: m(() => import('./commands/publish.ts')),
  },
  {
    path: ['promote'],
    summary:
      'list a published release on a more stable channel (beta from main; stable needs a beta of the same commit, or a hotfix)',
    load: m(() => import('./commands/promote.ts')),
  },
  {
    path: ['yank'],
    summary: "withdraw a release from every channel; it stays in the feed's history with the reason",
    load: m(() => import('./commands/yank.ts')),
  },
  // The operator's instance.
  {
    path: ['install'],
    summary: 'lay out an install root and install the newest release of a channel from a signed feed',
    load: m(() => import('./commands/install.ts')),
  },
  {
    path: ['agent'],
    summary:
      'run the app supervised, check the feed every update.check-interval and apply updates (in the maintenance window)',
    load: m(() => import('./commands/agent.ts')),
  },
  {
    path: ['update'],
    summary: 'download, verify, preflight and apply the newest release of the channel now (or --version)',
    load: m(() => import('./commands/update.ts')),
  },
  {
    path: ['update', 'check'],
    summary: 'what the channel offers: version, notes, whether it is a security release',
    load: m(() => import('./commands/update-check.ts')),
  },
  {
    path: ['self-update'],
    summary:
      "replace the agent's own executable with a newer one from the feed (verified, tried, switched; the app keeps running)",
    load: m(() => import('./commands/self-update.ts')),
  },
  {
    path: ['rollback'],
    summary: 'go back to the previous kept version (or --version), reversing its database and config migrations',
    load: m(() => import('./commands/rollback.ts')),
  },
  {
    path: ['status'],
    summary: 'the installed version, channel, kept versions, staged update, maintenance window and agent',
    load: m(() => import('./commands/status.ts')),
  },
  {
    path: ['history'],
    summary: 'installs, updates, rollbacks and rejected releases, oldest first',
    load: m(() => import('./commands/history.ts')),
  },
  {
    path: ['config'],
    summary: "the agent's settings (update.channel, update.check-interval, update.maintenance-window, …)",
  },
  { path: ['config', 'get'], summary: 'print a setting', load: m(() => import('./commands/config-get.ts')) },
  { path: ['config', 'set'], summary: 'change a setting', load: m(() => import('./commands/config-set.ts')) },
  {
    path: ['config', 'list'],
    summary: 'every setting with its value',
    load: m(() => import('./commands/config-list.ts')),
  },
  { path: ['service'], summary: 'a systemd unit that runs the agent: install, uninstall, status' },
  {
    path: ['service', 'install'],
    summary: 'write, verify (systemd-analyze), enable and start the agent unit',
    load: m(() => import('./commands/service-install.ts')),
  },
  {
    path: ['service', 'uninstall'],
    summary: 'stop, disable and remove the agent unit',
    load: m(() => import('./commands/service-uninstall.ts')),
  },
  {
    path: ['service', 'status'],
    summary: 'is the agent unit installed, enabled, active (exit 1 when not installed)',
    load: m(() => import('./commands/service-status.ts')),
  },
  {
    path: ['operator'],
    summary: 'the named operators of an instance: their tokens and notification preferences',
    after:
      '\nEach operator has a token of their own (for the API and the page) and chooses which events reach them by\nemail and webhook: update-available, staged, applied, rolled-back, held, advisory, end-of-life.',
  },
  {
    path: ['operator', 'add'],
    summary: 'add an operator; prints their token once',
    load: m(() => import('./commands/operator-add.ts')),
  },
  {
    path: ['operator', 'list'],
    summary: 'list the operators and what they are notified of',
    load: m(() => import('./commands/operator-list.ts')),
  },
  {
    path: ['operator', 'set'],
    summary: "change an operator's email, webhook or events",
    load: m(() => import('./commands/operator-set.ts')),
  },
  {
    path: ['operator', 'remove'],
    summary: 'remove an operator (their token stops working)',
    load: m(() => import('./commands/operator-remove.ts')),
  },
  { path: ['notify'], summary: 'notifications: test the channels, see what waits or failed' },
  {
    path: ['notify', 'test'],
    summary: "send a test notification to every operator's email and webhook now",
    load: m(() => import('./commands/notify-test.ts')),
  },
  {
    path: ['notify', 'status'],
    summary: 'notifications waiting for a retry and those that failed (exit 1 when some failed); --retry',
    load: m(() => import('./commands/notify-status.ts')),
  },
  {
    path: ['doctor'],
    summary: 'check the feed, trusted root, disk, app health, schema, windows and agent (exit 1 when a check fails)',
    load: m(() => import('./commands/doctor.ts')),
  },
  {
    path: ['ui'],
    summary: "print the signed-in address of the running agent's Settings › Updates page",
    load: m(() => import('./commands/ui.ts')),
  },
  {
    path: ['version'],
    summary: "print slipway's version line, and the managed app's with --root",
    load: m(() => import('./commands/version.ts')),
  },
  { path: ['schema'], summary: 'print the JSON Schema of slipway.json', load: m(() => import('./commands/schema.ts')) },
  {
    path: ['demo'],
    summary:
      'the main job on embedded defaults: next, changelog and notes on a sample repository, then feed, install, agent, update and rollback of a sample app',
    load: m(() => import('./commands/demo.ts')),
  },
];
