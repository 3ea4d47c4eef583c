/**
 * Every error code Slipway raises, with the exit status it maps to and a one-line fix hint
 * (shown under the message; `--json` carries it as `hint`). Callers branch on the code, never on
 * message text. Exit 2 means "fix the call" (bad flags, arguments, config or input); 1 means a
 * check failed or the operation could not be done; 70 is a bug in Slipway.
 */
export const ERROR_CATALOGUE = {
  // The call itself
  USAGE: { exit: 2, hint: 'run the command with --help to see its arguments and flags' },
  INVALID_VERSION: { exit: 2, hint: 'give a semantic version such as 1.2.3 or v1.2.3' },
  INVALID_RELEASE_AS: { exit: 2, hint: '--release-as takes a semantic version such as 1.0.0' },
  RELEASE_AS_NOT_GREATER: { exit: 2, hint: '--release-as must be higher than the last release' },
  UNKNOWN_CHANNEL: {
    exit: 2,
    hint: 'use a channel the feed signs: slipway feed status lists them (a maintainer adds one in slipway.json "channels")',
  },
  TEMPLATE_MISSING: { exit: 2, hint: 'check the path of the notes template (notes.template or --template)' },
  // Configuration
  CONFIG_SYNTAX: { exit: 2, hint: 'fix the JSON syntax at the line shown' },
  CONFIG_INVALID: { exit: 2, hint: 'fix the keys listed; `slipway schema` prints every key' },
  CONFIG_UNREADABLE: { exit: 2, hint: 'check that the config file exists and is readable' },
  CONFIG_EXISTS: { exit: 1, hint: 'pass --force to overwrite the existing slipway.json' },
  CONFIG_VERSION_INVALID: { exit: 1, hint: 'config_version must be a whole number of 1 or more' },
  CONFIG_MIGRATION_READ: { exit: 1, hint: "check the release's config migrations file" },
  CONFIG_MIGRATION_INVALID: { exit: 1, hint: 'fix the config migrations file at the path shown' },
  CONFIG_MIGRATION_UNKNOWN: { exit: 1, hint: 'the config is at a config_version these migrations do not know' },
  CONFIG_MIGRATION_CONFLICT: { exit: 1, hint: 'a migration would overwrite a key the config already has' },
  // Repository and version files
  NOT_A_REPOSITORY: { exit: 1, hint: "run in the project's git repository, or pass --cwd <dir>" },
  EMPTY_REPOSITORY: { exit: 1, hint: 'commit something first' },
  SHALLOW_CLONE: { exit: 1, hint: 'fetch the full history: git fetch --unshallow --tags' },
  GIT_NOT_FOUND: { exit: 1, hint: 'install git and put it on PATH' },
  GIT_FAILED: { exit: 1, hint: "read git's message above; the repository may need repair" },
  NOTHING_TO_RELEASE: { exit: 1, hint: 'no releasable commits since the last tag; give a version explicitly' },
  VERSION_MISMATCH: { exit: 1, hint: 'bump the version files to the tag, commit, and tag that commit' },
  OUTSIDE_LINE: { exit: 1, hint: 'a maintenance branch (1.x, 1.4.x) releases only within its line' },
  // A release (slipway release)
  BRANCH_NOT_ALLOWED: { exit: 1, hint: 'check out a branch the channel allows (release.branches in slipway.json)' },
  DIRTY_TREE: { exit: 1, hint: 'commit or stash the changes first (git status shows them)' },
  ADVISORY_INVALID: { exit: 1, hint: 'fix the advisory file, or write a new one with slipway advisory new' },
  ADVISORY_UNKNOWN: { exit: 1, hint: 'slipway advisory list shows the advisories' },
  ADVISORY_EMBARGOED: { exit: 1, hint: 'wait for the disclosure time' },
  ADVISORY_UNFIXED: { exit: 1, hint: 'release the fix first' },
  DEPRECATION_POLICY: { exit: 1, hint: 'deprecate the item in a minor release first, or set deprecation.minMinors' },
  TAG_EXISTS: { exit: 1, hint: 'the version is tagged already; see `slipway next` for the next free one' },
  GATE_FAILED: { exit: 1, hint: 'fix what the gate reports, then run slipway release again' },
  STEP_NOT_FOUND: { exit: 1, hint: 'install the command or fix "run" in slipway.json' },
  CHECKLIST_UNCONFIRMED: { exit: 1, hint: 'confirm on a terminal, pass --yes, or list the items in release.confirmed' },
  BUILD_FAILED: { exit: 1, hint: 'fix the build, then run slipway release --resume' },
  PUSH_REJECTED: {
    exit: 1,
    hint: 'update the branch (git pull --rebase) or fix the remote, then slipway release --resume',
  },
  POST_STEP_FAILED: { exit: 1, hint: 'the release stands; fix the step and run slipway release --resume' },
  HEAD_MOVED: { exit: 1, hint: 'leave the repository alone while a release runs; run slipway release again' },
  REMOTE_UNREACHABLE: { exit: 1, hint: 'check release.push names a remote (git remote -v) you can reach' },
  REMOTE_AHEAD: { exit: 1, hint: 'git pull --no-rebase, then run slipway release again' },
  NPM_PACKAGE: { exit: 1, hint: 'fix package.json or build the package first' },
  NPM_PUBLISH: {
    exit: 1,
    hint: "read npm's reason; a retry or slipway release --resume completes without a duplicate",
  },
  TOKEN_MISSING: { exit: 1, hint: 'set the token in the environment variable named' },
  PYPI_PACKAGE: { exit: 1, hint: "fix the package's metadata (pyproject.toml) and build it again" },
  PYPI_UPLOAD: {
    exit: 1,
    hint: "read the index's reason; a retry or slipway release --resume completes without a duplicate",
  },
  FORGE_RELEASE: {
    exit: 1,
    hint: "read the forge's reason; a retry or slipway release --resume completes without a duplicate",
  },
  ANNOUNCE_FAILED: { exit: 1, hint: 'the release stands; fix the webhook and run slipway release --resume' },
  GPG_FAILED: { exit: 1, hint: 'check the key (gpg --list-secret-keys) and gpg-agent, or unset release.sign.gpg' },
  RELEASE_STEP_FAILED: { exit: 1, hint: 'read the step and the reason above; slipway release --resume after the tag' },
  RELEASE_UNFINISHED: { exit: 1, hint: 'run slipway release --resume to finish it' },
  NO_RELEASE_TO_RESUME: { exit: 1, hint: 'nothing to resume; run slipway release' },
  RELEASE_BUSY: { exit: 1, hint: 'another slipway release runs in this repository; wait for it' },
  HOTFIX_RULE: { exit: 1, hint: 'a hotfix carries fixes only; release the rest from main, or pass --allow "<reason>"' },
  NO_VERSION_FILES: { exit: 1, hint: 'list version files in slipway.json "versionFiles"' },
  VERSION_FILE_MISSING: { exit: 1, hint: 'create the file or remove it from versionFiles' },
  VERSION_FILE_UNPARSABLE: { exit: 1, hint: 'fix the syntax of the version file' },
  VERSION_FILE_KIND: { exit: 2, hint: 'use a supported version file kind (see slipway schema)' },
  VERSION_FILE_OUTSIDE: { exit: 2, hint: 'version files must be inside the repository' },
  CHANGELOG_DUPLICATE_VERSION: { exit: 1, hint: 'the changelog has this version already; remove the duplicate' },
  NOTES_NO_SECTION: { exit: 1, hint: 'cut the changelog section first: slipway changelog --release <version>' },
  NO_RELEASE: { exit: 1, hint: 'tag a release first, or name the version' },
  TEMPLATE_ERROR: { exit: 1, hint: 'fix the Handlebars template at the place shown' },
  // Keys
  KEY_MISSING: { exit: 1, hint: 'create keys with slipway keys init, or pass --keys <dir>' },
  KEY_EXISTS: { exit: 1, hint: 'keys exist already in that folder; choose another --keys folder' },
  KEY_TYPE: { exit: 1, hint: 'use an ed25519 or ECDSA P-256 key' },
  KEY_PASSPHRASE: { exit: 2, hint: 'set SLIPWAY_KEY_PASSPHRASE (at least 8 characters)' },
  KEY_PASSPHRASE_WRONG: { exit: 2, hint: 'set SLIPWAY_KEY_PASSPHRASE to the passphrase the keys were made with' },
  KEY_MISMATCH: { exit: 1, hint: 'the key does not match what the feed trusts; rotate with slipway keys rotate' },
  ROTATION_PENDING: { exit: 1, hint: 'finish the pending rotation first' },
  // The feed (maintainer side)
  FEED_LOCKED: {
    exit: 1,
    hint: 'another publish, promote, yank, prune or refresh is changing this feed; run yours again when it is done',
  },
  FEED_LOCK_UNSUPPORTED: {
    exit: 1,
    hint: 'use an S3 service with conditional writes (AWS S3, MinIO, R2), or set SLIPWAY_S3_SINGLE_PUBLISHER=1 if only one publisher ever runs',
  },
  FEED_EXISTS: { exit: 1, hint: 'the folder holds a feed already; use it, or choose an empty folder' },
  FEED_FOREIGN: { exit: 1, hint: 'choose an empty folder for a new feed' },
  FEED_NOT_FOUND: { exit: 1, hint: 'create a feed with slipway feed init, or point --feed at one' },
  FEED_INVALID: { exit: 1, hint: 'the feed is damaged; run slipway feed verify and restore it from a backup' },
  PUBLISH_CONFLICT: { exit: 1, hint: 'a published release never changes: publish a new version' },
  PROMOTION_RULE: { exit: 1, hint: 'follow the promotion rules (feed.* in slipway.json), or switch them off there' },
  NOT_PUBLISHED: { exit: 1, hint: 'publish the version first: slipway publish <version> -c <channel> <files…>' },
  YANKED: { exit: 1, hint: 'a yanked release is withdrawn; publish a fixed version' },
  ARTIFACT_MISSING: { exit: 1, hint: 'check the artifact paths given (or the build and its artifact globs)' },
  ARTIFACT_FORMAT: { exit: 1, hint: 'artifacts are .tar.gz archives with slipway.app.json at their top' },
  ARTIFACT_CHANGED: { exit: 1, hint: 'the artifact changed while it was read; build it again' },
  // The feed (instance side)
  FEED_UNREACHABLE: { exit: 1, hint: 'check feed.url and the network; nothing was changed' },
  VERIFY_FAILED: { exit: 1, hint: 'the feed or a download failed verification; nothing was installed' },
  NO_ARTIFACT: { exit: 1, hint: 'set feed.platform if this instance should use another platform' },
  // The instance
  NOT_INSTALLED: { exit: 1, hint: 'install first: slipway install --feed <url> --root <dir>' },
  NOT_KEPT: { exit: 1, hint: 'roll back only to a kept version (slipway status lists them)' },
  NOTHING_TO_ROLL_BACK: { exit: 1, hint: 'no older version is kept; raise update.keep to keep more' },
  PREFLIGHT: { exit: 1, hint: 'the release was refused before anything was stopped; see the reason' },
  UNSAFE_ARCHIVE: { exit: 1, hint: 'the archive was refused whole; nothing was written' },
  APP_MANIFEST_MISSING: { exit: 1, hint: 'every release carries slipway.app.json at the top of its archive' },
  APP_MANIFEST_INVALID: { exit: 1, hint: 'fix slipway.app.json at the places listed' },
  DISK_FULL: { exit: 1, hint: 'free disk space in the install root, then retry' },
  LOCKED: { exit: 1, hint: 'another update or rollback is running; wait for it to finish' },
  STATE_INVALID: { exit: 1, hint: 'state/state.json is damaged; slipway doctor names the repair' },
  AGENT_NOT_RUNNING: { exit: 1, hint: 'start the agent: slipway agent --root <dir>' },
  AGENT_ERROR: { exit: 1, hint: "read the agent's log (state/agent.log)" },
  USER_FAILED: { exit: 1, hint: 'create the user yourself (useradd --system) and pass it with --user' },
  SELF_UPDATE_FAILED: { exit: 1, hint: 'the agent stays on its executable; see state/agent.log and slipway status' },
  SERVICE_FAILED: { exit: 1, hint: 'run the agent by hand with the command shown, or fix what systemd reports' },
  // Migrations
  DB_OPEN: { exit: 1, hint: 'check --db (a SQLite path or postgres:// URL) and that the server runs' },
  MIGRATIONS_DIR: { exit: 1, hint: 'check --dir, the migrations folder' },
  MIGRATION_NAME: { exit: 1, hint: 'name migration files <version>_<name>.sql' },
  MIGRATION_MALFORMED: { exit: 1, hint: 'fix the goose annotations (-- +goose Up / Down) in the file shown' },
  MIGRATION_DUPLICATE: { exit: 1, hint: 'two files share a version; renumber one' },
  MIGRATION_EXISTS: { exit: 1, hint: 'a migration with that name exists already' },
  MIGRATION_FILE_MISSING: { exit: 1, hint: 'an applied migration has no file; restore it' },
  MIGRATION_OUT_OF_ORDER: { exit: 1, hint: 'pass --allow-missing to run older pending migrations' },
  MIGRATION_UNKNOWN_VERSION: { exit: 1, hint: 'give a version the migrations folder has' },
  MIGRATION_LOCKED: { exit: 1, hint: 'another migration runner holds the lock; wait or raise --lock-timeout' },
  MIGRATION_FAILED: { exit: 1, hint: 'the failed migration was rolled back; fix the statement shown' },
  PORT_IN_USE: { exit: 1, hint: 'choose another port (--port, api.port, app.port) or stop what listens there' },
  // Slipway itself
  BUG: { exit: 70, hint: 'this is a bug in Slipway: please report it with the command you ran' },
} as const satisfies Record<string, { exit: 1 | 2 | 70; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code);
}
