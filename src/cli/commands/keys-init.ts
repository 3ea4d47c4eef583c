import { SlipwayError } from '../../core/errors.ts';
import { RELEASE_KEY, TOP_ROLES } from '../../feed/key-ring.ts';
import { createKeys, type KeyAlgorithm } from '../../feed/keys.ts';
import { defineCommand, dryRun, json, keysDir } from '../command.ts';
import { readProject } from '../feed-common.ts';

export const algorithmOption = {
  flags: '--algorithm <algorithm>',
  description: 'ed25519 or ecdsa',
  default: 'ed25519',
} as const;

export function parseAlgorithm(value: string): KeyAlgorithm {
  if (value !== 'ed25519' && value !== 'ecdsa')
    throw new SlipwayError('USAGE', `--algorithm expects ed25519 or ecdsa, got "${value}"`);
  return value;
}

/** slipway keys init: a key per TUF role and per channel, and the ECDSA P-256 release signing key. */
export default defineCommand({
  options: { keys: keysDir, algorithm: algorithmOption, dryRun, json },
  async run(ctx, flags) {
    const algorithm = parseAlgorithm(flags.algorithm);
    const dir = ctx.path(flags.keys);
    const roles = [...TOP_ROLES, ...(await readProject(ctx, flags)).config.channels];
    const all = [...roles, RELEASE_KEY];
    if (flags.dryRun) {
      ctx.out.result(`would create ${all.length} keys in ${dir}: ${all.join(', ')}`, { dir, roles: all, dryRun: true });
      return;
    }
    const options = { dir, env: ctx.io.env };
    const created = [
      ...(await createKeys(roles, algorithm, options)),
      ...(await createKeys([RELEASE_KEY], 'ecdsa', options)),
    ];
    ctx.out.result(
      [
        `created ${created.length} keys in ${dir} (private keys encrypted with $SLIPWAY_KEY_PASSPHRASE):`,
        ...created.map((k) => `  ${k.role.padEnd(10)} ${k.key.keyID}`),
        'Keep root.pem and targets.pem offline; CI needs only snapshot, timestamp, release and the channel keys.',
      ].join('\n'),
      { dir, keys: created.map((k) => ({ role: k.role, keyID: k.key.keyID })) },
    );
  },
});
