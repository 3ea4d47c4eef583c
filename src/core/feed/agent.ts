import semver from 'semver';
import { z } from 'zod';

/**
 * Slipway's own executables in a feed: the `slipway` target of a channel. An app's feed carries
 * them beside the app's releases so that install.sh and the agent's self-update read them with
 * the same trust (the channel's role signs them):
 *   <channel>/slipway/index.json                                 the agent releases, newest first
 *   <channel>/slipway/slipway-<version>-linux-<arch>.tar.gz       one executable (`slipway`) each
 * The paths fit the channel role's `<channel>/*\/*` pattern, and no app version is "slipway".
 */
export const AGENT_TARGET = 'slipway';

/** Agent releases a channel keeps; older executables leave the feed when a newer one is published. */
export const AGENT_KEEP = 3;

/** The platforms an executable is built for, as feed platforms, and their ELF machine numbers. */
export const AGENT_PLATFORMS = { 'linux/amd64': 62, 'linux/arm64': 183 } as const;
export type AgentPlatform = keyof typeof AGENT_PLATFORMS;

export const agentIndexPath = (channel: string): string => `${channel}/${AGENT_TARGET}/index.json`;
export const agentArtifactPath = (channel: string, version: string, platform: AgentPlatform): string =>
  `${channel}/${AGENT_TARGET}/${AGENT_TARGET}-${version}-${platform.replace('/', '-')}.tar.gz`;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in lower-case hex');

export const AgentArtifactSchema = z
  .object({
    path: z.string().min(1),
    sha256: Sha256,
    length: z.number().int().positive(),
    /** The executable's own size and digest (what `slipway version` runs from). */
    executableSha256: Sha256,
    executableLength: z.number().int().positive(),
  })
  .strict();
export type AgentArtifact = z.infer<typeof AgentArtifactSchema>;

export const AgentReleaseSchema = z
  .object({
    version: z.string().refine((v) => semver.valid(v) !== null, 'expected a semantic version'),
    commit: z.string().nullable(),
    buildTime: z.string(),
    published: z.string(),
    artifacts: z.partialRecord(
      z.enum(Object.keys(AGENT_PLATFORMS) as [AgentPlatform, ...AgentPlatform[]]),
      AgentArtifactSchema,
    ),
  })
  .strict();
export type AgentRelease = z.infer<typeof AgentReleaseSchema>;

export const AgentIndexSchema = z
  .object({
    schema: z.literal(1),
    channel: z.string(),
    updated: z.string(),
    /** Newest first. */
    releases: z.array(AgentReleaseSchema),
  })
  .strict();
export type AgentIndex = z.infer<typeof AgentIndexSchema>;

/** The feed platform of an ELF executable from its header (e_machine), or null for another file. */
export function elfPlatform(head: Buffer): AgentPlatform | null {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  for (const [platform, m] of Object.entries(AGENT_PLATFORMS)) if (m === machine) return platform as AgentPlatform;
  return null;
}

/** The newest agent release above `installed` that has an executable for `platform`. */
export function newerAgent(index: AgentIndex, installed: string, platform: string): AgentRelease | null {
  const fits = index.releases
    .filter((r) => platform in r.artifacts && semver.gt(r.version, installed))
    .sort((a, b) => semver.rcompare(a.version, b.version));
  return fits[0] ?? null;
}
