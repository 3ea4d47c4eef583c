import { Command, Option } from 'commander';
import { createRequire } from 'node:module';

// src/cli and dist/cli are both two folders below the package root.
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A command's module is loaded only when that command runs. */
type Loader = () => Promise<{
  run(options: Record<string, unknown>, args: string[], cmd: Command): Promise<number | void>;
}>;

function lazy(load: Loader) {
  return async function action(this: Command, ...received: unknown[]): Promise<void> {
    const cmd = received[received.length - 1] as Command;
    const args = received
      .slice(0, -2)
      .flat()
      .filter((a): a is string => typeof a === 'string');
    const mod = await load();
    const code = await mod.run(cmd.optsWithGlobals(), args, cmd);
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  };
}

const json = (): Option => new Option('--json', 'print a JSON document on stdout instead of text');
const dryRun = (): Option => new Option('--dry-run', 'show what would change and write nothing');
const keysDir = (what = 'the key folder'): Option => new Option('--keys <dir>', what).default('keys');
const feedDir = (): Option => new Option('--feed <dir>', 'the feed: a folder or s3://bucket/prefix').default('feed');

export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('Release engineering and safe self-updates for self-hosted software')
    .version(`slipway v${pkg.version}`, '-V', 'print the version (also: slipway --version, slipway version)')
    .option('-C, --cwd <dir>', 'run in this repository instead of the current folder')
    .option('--config <file>', 'read this config file instead of slipway.json at the repository root')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false })
    // Before the subcommands are added, so that they inherit it: bin.ts owns the exit status.
    .exitOverride();

  program
    .command('init')
    .description('write a starter slipway.json and CHANGELOG.md')
    .option('--force', 'overwrite an existing slipway.json')
    .addOption(dryRun())
    .addOption(json())
    .action(lazy(() => import('./commands/init.ts')));

  program
    .command('next')
    .description('decide the next version from the Conventional Commits since the last release')
    .option('-c, --channel <channel>', 'release channel (nightly, beta, stable…)')
    .option('--release-as <version>', 'release this version instead (e.g. 1.0.0)')
    .option('-v, --verbose', 'also list commits that are not conventional and tags that are not versions')
    .addOption(json())
    .action(lazy(() => import('./commands/next.ts')));

  program
    .command('changelog')
    .description('create or update CHANGELOG.md (Keep a Changelog 1.1.0) from the commits')
    .option('--release <version>', 'write the section of this version (the release being cut) from [Unreleased]')
    .option('--next', 'like --release, with the version `slipway next` decides')
    .option('-c, --channel <channel>', 'channel for --next')
    .option('--regenerate', 'rebuild every release section from the whole history (hand-written lines are kept)')
    .option('--date <YYYY-MM-DD>', 'date of the release being cut (default: today, UTC, or SOURCE_DATE_EPOCH)')
    .option('-o, --output <file>', 'write here instead of the configured changelog file')
    .addOption(dryRun())
    .addOption(json())
    .action(lazy(() => import('./commands/changelog.ts')));

  program
    .command('notes')
    .description('render release notes for a version (default: the latest release)')
    .argument('[version]', 'version or tag, e.g. 1.2.0 or v1.2.0')
    .option('-t, --template <file>', 'a Handlebars template to use instead of the configured one')
    .option('-o, --output <file>', 'write the notes to a file')
    .option('--date <YYYY-MM-DD>', 'date for a version that is not tagged yet')
    .option('--print-template', 'print the default template and exit')
    .addOption(json())
    .action(lazy(() => import('./commands/notes.ts')));

  program
    .command('bump')
    .description(
      'write a version into every version file (package.json, pyproject.toml, Cargo.toml, __version__, markers)',
    )
    .argument('<version>', 'the version to write, or "next" for what `slipway next` decides')
    .option('-c, --channel <channel>', 'channel when the version is "next"')
    .addOption(dryRun())
    .addOption(json())
    .action(lazy(() => import('./commands/bump.ts')));

  program
    .command('check-version')
    .description('fail unless every version file agrees with the tag and with each other')
    .option('--tag <tag>', 'the tag to check against, e.g. v1.2.3 (default: the release tag at HEAD, if any)')
    .addOption(json())
    .action(lazy(() => import('./commands/check-version.ts')));

  const migrate = program
    .command('migrate')
    .description('goose-compatible SQL migrations on SQLite or PostgreSQL')
    .addHelpText('after', '\nThe database comes from --db or SLIPWAY_DB: a SQLite file path or a postgres:// URL.');
  const migrateCommand = (
    name: string,
    description: string,
    exported: string,
    options: { dryRun?: boolean; lock?: boolean } = {},
  ) => {
    const cmd = migrate
      .command(name)
      .description(description)
      .option('--db <database>', 'SQLite file or postgres:// URL (default: $SLIPWAY_DB)')
      .option('--dir <folder>', 'the migrations folder', 'migrations');
    if (options.dryRun) cmd.addOption(dryRun());
    if (options.lock) cmd.option('--lock-timeout <seconds>', 'how long to wait for another runner', '60');
    cmd.addOption(json()).action(
      lazy(() =>
        import('./commands/migrate.ts').then((m) => ({
          run: (m as unknown as Record<string, (o: Record<string, unknown>, a: string[]) => Promise<number>>)[
            exported
          ]!,
        })),
      ),
    );
    return cmd;
  };
  migrateCommand('status', 'list the migrations and which are applied', 'status');
  migrateCommand('up', 'apply every pending migration', 'up', { dryRun: true, lock: true }).option(
    '--allow-missing',
    'also run migrations older than the newest applied one',
  );
  migrateCommand('up-to', 'apply pending migrations up to a version', 'upTo', { dryRun: true, lock: true })
    .argument('<version>')
    .option('--allow-missing', 'also run migrations older than the newest applied one');
  migrateCommand('up-by-one', 'apply the next pending migration', 'upByOne', { dryRun: true, lock: true });
  migrateCommand('down', 'roll back the newest applied migration', 'down', { dryRun: true, lock: true });
  migrateCommand('down-to', 'roll back to a version (0: everything)', 'downTo', { dryRun: true, lock: true }).argument(
    '<version>',
  );
  migrateCommand('redo', 'roll back the newest migration and apply it again', 'redo', { dryRun: true, lock: true });
  migrateCommand('validate', 'check every migration file without touching a database', 'validate');
  migrateCommand('create', 'write a new migration file', 'create', { dryRun: true })
    .argument('<name>')
    .option('--sequential', 'number it 00001, 00002… instead of a timestamp');

  migrate
    .command('config')
    .description('move a JSON config file to another config_version (rename, remove, default; reversible)')
    .argument('<config>', 'the config file, e.g. config.json')
    .requiredOption('--steps <file>', "the release's config migrations (JSON)")
    .option('--to <version>', 'the config_version to reach (default: the newest); lower rolls back')
    .addOption(dryRun())
    .addOption(json())
    .action(lazy(() => import('./commands/migrate.ts').then((m) => ({ run: m.config }))));

  type FeedExport =
    | 'keysInit'
    | 'keysRotate'
    | 'feedInit'
    | 'publish'
    | 'promote'
    | 'yank'
    | 'prune'
    | 'status'
    | 'refresh'
    | 'serve'
    | 'verify';
  const feedCommand = (loader: FeedExport) =>
    lazy(() => import('./commands/feed.ts').then((m) => ({ run: m[loader] })));
  const keys = program
    .command('keys')
    .description('signing keys for the feed (encrypted with $SLIPWAY_KEY_PASSPHRASE)');
  keys
    .command('init')
    .description('create a key for each TUF role and channel, and the ECDSA P-256 release signing key')
    .addOption(keysDir())
    .option('--algorithm <algorithm>', 'ed25519 or ecdsa', 'ed25519')
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('keysInit'));
  keys
    .command('rotate')
    .description("replace a role's key; for root, writes N+1.root.json signed by the old and the new key")
    .argument('<role>', 'root, targets, snapshot, timestamp or a channel')
    .addOption(keysDir())
    .addOption(feedDir())
    .option('--algorithm <algorithm>', 'ed25519 or ecdsa', 'ed25519')
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('keysRotate'));
  const feed = program.command('feed').description('the signed release feed (a TUF repository of static files)');
  feed
    .command('init')
    .description('create a new feed signed with the keys')
    .addOption(keysDir())
    .addOption(feedDir())
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('feedInit'));
  feed
    .command('status')
    .description("every role's version and expiry, and each channel's releases (exit 1 when a role has expired)")
    .addOption(feedDir())
    .addOption(json())
    .action(feedCommand('status'));
  feed
    .command('refresh')
    .description('sign the timestamp again (and the snapshot and channel roles when they near expiry)')
    .addOption(keysDir())
    .addOption(feedDir())
    .option('--offline-keys', 'also re-sign the top-level targets with targets.pem when it nears expiry')
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('refresh'));
  feed
    .command('verify')
    .description(
      'read the feed with a real TUF client (tuf-js) and report what an instance on each channel would install',
    )
    .addOption(feedDir())
    .option('--url <url>', 'verify the feed served here instead of the folder')
    .option('--trusted-root <file>', "the root.json instances trust (default: the feed's 1.root.json)")
    .addOption(json())
    .action(feedCommand('verify'));
  feed
    .command('serve')
    .description('serve the feed folder over HTTP (ETag/304, Range, HEAD, gzip, cache headers)')
    .argument('[dir]', 'the feed folder (default: --feed)')
    .addOption(feedDir())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free one)', '8080')
    .addOption(json())
    .action(feedCommand('serve'));
  feed
    .command('prune')
    .description('apply the retention rules (feed.retention) or keep the newest --keep releases of --channel')
    .addOption(keysDir())
    .addOption(feedDir())
    .option('-c, --channel <channel>', 'only this channel')
    .option('--keep <n>', 'how many releases to keep (with --channel)')
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('prune'));
  feed
    .command('install-script')
    .description('write install.sh into the feed, for curl -fsSL <feed>/install.sh | bash -s -- --channel=beta')
    .addOption(feedDir())
    .option('--url <url>', 'the public address of the feed')
    .option('--package <spec>', 'the npm package that provides slipway', 'slipway')
    .option('--app <name>', 'the application name shown to the operator')
    .addOption(dryRun())
    .addOption(json())
    .action(lazy(() => import('./commands/install-script.ts')));
  program
    .command('publish')
    .description("publish a release's artifacts to a channel of the feed (checks the promotion rules)")
    .argument('<version>', 'the version, e.g. 1.2.3')
    .argument('<files...>', 'the artifacts, named per platform (app-linux-amd64.tar.gz)')
    .requiredOption('-c, --channel <channel>', 'the channel (nightly, beta, stable…)')
    .addOption(keysDir('the key folder (snapshot, timestamp, release and the channel key)'))
    .addOption(feedDir())
    .option('--commit <sha>', 'the commit it was built from (default: HEAD)')
    .option('--notes <file>', 'release notes (Markdown), in the manifest and as notes.md')
    .option(
      '--security <severity>',
      'a security release: low, medium, high or critical (applies outside maintenance windows)',
    )
    .option('--advisory <id>', 'the advisory it fixes, e.g. GHSA-xxxx or CVE-2026-1234')
    .option('--breaking', 'mark it as breaking')
    .option('--minimum-version <version>', 'the lowest installed version that may upgrade to it directly')
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('publish'));
  program
    .command('promote')
    .description(
      'list a published release on a more stable channel (beta from main; stable needs a beta of the same commit, or a hotfix)',
    )
    .argument('<version>', 'the version, e.g. 1.3.0')
    .requiredOption('--to <channel>', 'the channel to promote to')
    .addOption(keysDir())
    .addOption(feedDir())
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('promote'));
  program
    .command('yank')
    .description("withdraw a release from every channel; it stays in the feed's history with the reason")
    .argument('<version>', 'the version, e.g. 1.3.0')
    .requiredOption('--reason <text>', 'why, shown to operators')
    .addOption(keysDir())
    .addOption(feedDir())
    .addOption(dryRun())
    .addOption(json())
    .action(feedCommand('yank'));

  type OperateExport =
    | 'installCommand'
    | 'agentCommand'
    | 'updateCheck'
    | 'update'
    | 'rollback'
    | 'status'
    | 'history'
    | 'configGet'
    | 'configSet'
    | 'configList'
    | 'doctor'
    | 'version'
    | 'ui';
  const operate = (name: OperateExport) => lazy(() => import('./commands/operate.ts').then((m) => ({ run: m[name] })));
  const rootDir = (): Option => new Option('--root <dir>', 'the install root (default: $SLIPWAY_ROOT)');
  program
    .command('install')
    .description('lay out an install root and install the newest release of a channel from a signed feed')
    .requiredOption('--feed <url>', "the feed's address, e.g. https://updates.example.com/feed")
    .option('-c, --channel <channel>', 'the channel to follow', 'stable')
    .addOption(rootDir())
    .option('--trusted-root <file>', "the feed's root.json, from the maintainer")
    .option('--trusted-root-sha256 <hex>', "or: the sha256 of the feed's metadata/1.root.json to pin")
    .option('--version <version>', 'install this version instead of the newest')
    .option('--port <port>', 'the port the app listens on ({port} / PORT)')
    .option('--database <db>', "the app's database: a SQLite path or a postgres:// URL (default: <root>/data/app.db)")
    .addOption(dryRun())
    .addOption(json())
    .action(operate('installCommand'));
  program
    .command('agent')
    .description(
      'run the app supervised, check the feed every update.check-interval and apply updates (in the maintenance window)',
    )
    .addOption(rootDir())
    .action(operate('agentCommand'));
  const update = program
    .command('update')
    .description('download, verify, preflight and apply the newest release of the channel now (or --version)')
    .addOption(rootDir())
    .option('--version <version>', 'update to this version, e.g. v0.4.3')
    .option('--force', 'apply even if the running version is unhealthy, or retry a release that failed before')
    .addOption(dryRun())
    .addOption(json())
    .action(operate('update'));
  update
    .command('check')
    .description('what the channel offers: version, notes, whether it is a security release')
    .addOption(rootDir())
    .addOption(json())
    .action(operate('updateCheck'));
  program
    .command('rollback')
    .description('go back to the previous kept version (or --version), reversing its database and config migrations')
    .addOption(rootDir())
    .option('--version <version>', 'a kept version, e.g. v0.4.1')
    .addOption(dryRun())
    .addOption(json())
    .action(operate('rollback'));
  program
    .command('status')
    .description('the installed version, channel, kept versions, staged update, maintenance window and agent')
    .addOption(rootDir())
    .addOption(json())
    .action(operate('status'));
  program
    .command('history')
    .description('installs, updates, rollbacks and rejected releases, oldest first')
    .addOption(rootDir())
    .option('-n, --limit <n>', 'the last n entries', '50')
    .addOption(json())
    .action(operate('history'));
  const config = program
    .command('config')
    .description("the agent's settings (update.channel, update.check-interval, update.maintenance-window, …)");
  config
    .command('get')
    .description('print a setting')
    .argument('<key>')
    .addOption(rootDir())
    .addOption(json())
    .action(operate('configGet'));
  config
    .command('set')
    .description('change a setting')
    .argument('<key>')
    .argument('<value>')
    .addOption(rootDir())
    .addOption(dryRun())
    .addOption(json())
    .action(operate('configSet'));
  config
    .command('list')
    .description('every setting with its value')
    .addOption(rootDir())
    .addOption(json())
    .action(operate('configList'));
  program
    .command('doctor')
    .description(
      'check the feed, trusted root, disk, app health, schema, windows and agent (exit 1 when a check fails)',
    )
    .addOption(rootDir())
    .addOption(json())
    .action(operate('doctor'));
  program
    .command('ui')
    .description("print the signed-in address of the running agent's Settings › Updates page")
    .addOption(rootDir())
    .addOption(json())
    .action(operate('ui'));
  program
    .command('version')
    .description("print slipway's version line, and the managed app's with --root")
    .addOption(rootDir())
    .addOption(json())
    .action(operate('version'));

  program
    .command('schema')
    .description('print the JSON Schema of slipway.json')
    .action(lazy(() => import('./commands/schema.ts')));

  program
    .command('demo')
    .description(
      'the main job on embedded defaults: next, changelog and notes on a sample repository, then feed, install, agent, update and rollback of a sample app',
    )
    .option('--keep', 'keep the sample repository and print where it is')
    .addOption(json())
    .action(lazy(() => import('./commands/demo.ts')));

  return program;
}
