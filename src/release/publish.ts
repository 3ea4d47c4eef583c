import { SEVERITIES, type Artifact, type Manifest, type Severity } from '../core/feed/manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import { FeedSession } from '../feed/session.ts';
import { judgePromotion, releaseCommit, requireChannel, type FeedContext } from './feed-context.ts';
import { pruneChannel } from './prune-channel.ts';
import { publishRelease } from './publish-release.ts';
import { writeReleaseView } from './release-view.ts';
import { checkArtifacts } from './check-artifact.ts';
import { markersOf } from './markers.ts';

export interface PublishRequest {
  version: string;
  channel: string;
  /** Local paths of the artifacts. */
  files: readonly string[];
  /** The commit it was built from (a rev; default HEAD when run in the repository). */
  commit?: string;
  notes: string | null;
  security?: { severity: Severity; advisory: string | null } | null;
  breaking?: boolean;
  minimumVersion?: string | null;
  /** `--allow <reason>`: publish a release that breaks a promotion rule; the reason goes into the manifest. */
  allow?: string | null;
  dryRun?: boolean;
  progress?: (text: string) => void;
}

export interface PublishOutcome {
  outcome: 'published' | 'unchanged' | 'planned';
  dryRun: boolean;
  version: string;
  channel: string;
  commit: string | null;
  checks: string[];
  hotfix: boolean;
  security: { severity: Severity; advisory: string | null } | null;
  breaking: boolean;
  /** Rules broken on purpose (--allow), as recorded in the manifest. */
  exceptions: { rule: string; reason: string }[];
  /** For a hotfix: the diff stat since the stable tag, for the one reviewer. */
  review: string | null;
  manifest: Manifest | null;
  targets: Artifact[];
  /** Older releases of the channel that its retention dropped. */
  pruned: string[];
  /** Where SHA256SUMS and its signature were written, when a release signing key is present. */
  releaseView: string | null;
}

export function parseSeverity(
  security: string | undefined,
  advisory: string | undefined,
): { severity: Severity; advisory: string | null } | null {
  if (security === undefined) {
    if (advisory !== undefined) throw new SlipwayError('USAGE', '--advisory goes with --security <severity>');
    return null;
  }
  if (!SEVERITIES.includes(security as Severity))
    throw new SlipwayError('USAGE', `--security expects one of ${SEVERITIES.join(', ')}, got "${security}"`);
  return { severity: security as Severity, advisory: advisory ?? null };
}

/**
 * `slipway publish`: the promotion rules, then the artifacts, manifest and index signed into the
 * feed, the channel's retention, and the human release view (SHA256SUMS and its signature).
 * A dry run makes every check the real run makes and writes nothing.
 */
export async function publish(ctx: FeedContext, request: PublishRequest): Promise<PublishOutcome> {
  const { version, channel } = request;
  if (request.files.length === 0)
    throw new SlipwayError('USAGE', 'name the artifacts to publish, e.g. dist/app-linux-amd64.tar.gz');
  requireChannel(ctx, channel);
  const commit = await releaseCommit(ctx, request.commit);
  const session = await FeedSession.open(ctx.store);
  const verdict = await judgePromotion(ctx, session, { version, channel, commit, allow: request.allow ?? null });
  const keys = await ctx.keys.online([channel]);
  // Not given on the command line: the markers come from the commits, as the notes' do.
  const markers =
    ctx.repoRoot !== null && commit !== null && (request.security === undefined || request.breaking === undefined)
      ? await markersOf(ctx.repoRoot, ctx.config, version, commit)
      : null;
  const security = request.security !== undefined ? request.security : (markers?.security ?? null);
  const breaking = request.breaking !== undefined ? request.breaking : (markers?.breaking ?? false);
  const base = {
    version,
    channel,
    commit,
    checks: verdict.checks,
    hotfix: verdict.hotfix,
    security,
    breaking,
    exceptions: verdict.exceptions ?? [],
    review: verdict.review ?? null,
  };
  // The artifacts are read as instances will read them, in a dry run too (the same checks).
  const planned = await checkArtifacts(request.files, version);
  if (request.dryRun)
    return {
      ...base,
      checks: [
        ...base.checks,
        ...planned.map(
          (p) =>
            `${p.checked.name}: ${p.checked.kind} for ${p.checked.platform}${p.checked.unpackedSize !== undefined ? `, unpacks to ${p.checked.unpackedSize} bytes in ${p.checked.entries} entries` : ''}`,
        ),
      ],
      outcome: 'planned',
      dryRun: true,
      manifest: null,
      targets: [],
      pruned: [],
      releaseView: null,
    };
  const r = await publishRelease(ctx.store, keys, {
    version,
    channel,
    files: request.files,
    checked: planned,
    now: ctx.now,
    expiry: ctx.config.feed.expiry,
    commit,
    security,
    breaking,
    exceptions: verdict.exceptions ?? [],
    minimumVersion: request.minimumVersion ?? null,
    hotfix: verdict.hotfix,
    notes: request.notes ?? '',
    ...(request.progress ? { progress: request.progress } : {}),
  });
  const keep = ctx.config.feed.retention[channel];
  const pruned =
    r.changed && keep !== undefined
      ? (await pruneChannel(ctx.store, keys, { channel, keep, now: ctx.now, expiry: ctx.config.feed.expiry })).pruned
      : [];
  const pem = await ctx.keys.releasePem();
  const releaseView =
    pem === null
      ? null
      : (
          await writeReleaseView({
            feedDir: ctx.store,
            version,
            files: r.targets.map((t) => ({ name: t.name, sha256: t.sha256, path: t.path })),
            notes: request.notes,
            signingKeyPem: pem,
            passphrase: ctx.keys.passphrase(),
          })
        ).dir;
  return {
    ...base,
    outcome: r.changed ? 'published' : 'unchanged',
    dryRun: false,
    hotfix: r.manifest.hotfix,
    manifest: r.manifest,
    targets: r.targets,
    pruned,
    releaseView,
  };
}
