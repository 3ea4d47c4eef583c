import type { Artifact, Manifest } from '../core/feed/manifest.ts';

/** A plain release manifest (no security, not breaking, built now), for feeds built in bulk by tests and benchmarks. */
export function plainManifest(version: string, channel: string, artifacts: Record<string, Artifact> = {}): Manifest {
  return {
    schema: 1,
    version,
    channel,
    commit: null,
    buildTime: new Date().toISOString(),
    security: null,
    breaking: false,
    minimumVersion: null,
    hotfix: false,
    notes: `Release ${version}.`,
    artifacts,
  };
}
