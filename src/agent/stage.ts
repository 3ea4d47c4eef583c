import { mkdir, readFile, rename, rm, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { APP_MANIFEST, parseAppManifest, type AppManifest } from '../core/app-manifest.ts';
import { SlipwayError } from '../core/errors.ts';
import type { Candidate, Manifest } from '../core/feed/manifest.ts';
import type { FeedClient } from '../feed/client.ts';
import { exists } from '../io/optional-read.ts';
import type { InstanceContext } from './context.ts';
import { nodePlatform } from './runtime.ts';
import { defaultLimits, unpackRelease } from './unpack.ts';

const platformOf = (ctx: InstanceContext): string => ctx.config.feed.platform ?? nodePlatform();

/** Downloads, verifies (tuf-js) and unpacks a release into releases/<version>. Touches nothing else. */
export async function stageRelease(
  ctx: InstanceContext,
  candidate: Candidate,
  client: FeedClient,
  progress?: (s: string) => void,
): Promise<{ manifest: Manifest; app: AppManifest; downloaded: boolean }> {
  const manifest = await client.manifest(candidate.manifest);
  if (manifest.version !== candidate.version)
    throw new SlipwayError(
      'VERIFY_FAILED',
      `the manifest at ${candidate.manifest} is for ${manifest.version}, not ${candidate.version}`,
    );
  const dir = ctx.layout.release(candidate.version);
  if (await exists(join(dir, APP_MANIFEST)))
    return { manifest, app: (await ctx.manifestOf(candidate.version)).manifest, downloaded: false };
  // The app archive for this platform (or for any); a wheel or an sdist is not something to install.
  const artifact = [manifest.artifacts[platformOf(ctx)], manifest.artifacts.any].find(
    (a) => a !== undefined && (a.kind === undefined || a.kind === 'app'),
  );
  if (!artifact)
    throw new SlipwayError(
      'NO_ARTIFACT',
      `${candidate.version} has no app archive for ${platformOf(ctx)} (it has ${Object.keys(manifest.artifacts).join(', ')}); set feed.platform if this instance should use another`,
    );
  const limits =
    artifact.unpackedSize !== undefined
      ? { maxBytes: artifact.unpackedSize, maxEntries: artifact.entries ?? 100_000 }
      : defaultLimits(artifact.length);
  await diskCheck(ctx, artifact.length + (artifact.unpackedSize ?? artifact.length * 2));
  await mkdir(ctx.layout.downloads, { recursive: true });
  const file = join(ctx.layout.downloads, `${candidate.version}-${basename(artifact.name)}`);
  await rm(file, { force: true });
  try {
    await client.download(
      artifact,
      file,
      progress
        ? (done, total) =>
            progress(
              `downloading ${candidate.version} ${Math.floor((done / total) * 100)}% (${Math.round(done / 1048576)} of ${Math.round(total / 1048576)} MiB)`,
            )
        : undefined,
    );
  } catch (error) {
    await rm(file, { force: true });
    const e = error as SlipwayError;
    await ctx.log(`ALERT: ${candidate.version} failed verification and was rejected: ${e.message}`);
    await ctx.record({ event: 'rejected', to: candidate.version, reason: e.message });
    throw error;
  }
  ctx.crash('downloaded');
  const tmp = join(ctx.layout.staging, `${candidate.version}.unpack`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(ctx.layout.staging, { recursive: true });
  try {
    await unpackRelease(file, tmp, limits);
    const text = await readFile(join(tmp, APP_MANIFEST), 'utf8').catch((error: unknown) => {
      throw new SlipwayError(
        'APP_MANIFEST_MISSING',
        `the ${candidate.version} artifact has no ${APP_MANIFEST} at its top`,
        { cause: error },
      );
    });
    const app = parseAppManifest(text, `${candidate.version}/${APP_MANIFEST}`, candidate.version);
    await mkdir(ctx.layout.releases, { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    ctx.crash('unpacked');
    await rm(file, { force: true });
    return { manifest, app, downloaded: true };
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    await ctx.log(`ALERT: ${candidate.version} could not be staged: ${(error as Error).message}`);
    await ctx.record({ event: 'rejected', to: candidate.version, reason: (error as Error).message });
    throw error;
  }
}

async function diskCheck(ctx: InstanceContext, bytes: number): Promise<void> {
  const s = await statfs(ctx.layout.root);
  const free = s.bavail * s.bsize;
  const need = bytes + 64 * 1024 * 1024;
  if (free < need)
    throw new SlipwayError(
      'DISK_FULL',
      `${ctx.layout.root} has ${Math.round(free / 1048576)} MiB free; the update needs about ${Math.round(need / 1048576)} MiB (download, unpack, previous version kept)`,
    );
}
