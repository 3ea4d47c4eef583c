import { TOP_ROLES } from '../../feed/key-ring.ts';
import { rotateKey } from '../../feed/maintain.ts';
import { defineCommand, dryRun, feedDir, json, keysDir } from '../command.ts';
import { feedStore, readProject } from '../feed-common.ts';
import { algorithmOption, parseAlgorithm } from './keys-init.ts';

/** slipway keys rotate <role> */
export default defineCommand({
  args: [{ name: '<role>', description: 'root, targets, snapshot, timestamp or a channel' }],
  options: { keys: keysDir, feed: feedDir, algorithm: algorithmOption, dryRun, json },
  async run(ctx, flags, args) {
    const role = args[0]!;
    const algorithm = parseAlgorithm(flags.algorithm);
    if (flags.dryRun) {
      const what =
        role === 'root'
          ? 'write N+1.root.json signed by the old and the new root key'
          : (TOP_ROLES as readonly string[]).includes(role)
            ? `write N+1.root.json with the new ${role} key and sign ${role} again`
            : `sign targets.json with the new ${role} key and sign ${role} again`;
      ctx.out.result(`would create a new ${role} key and ${what}`, { role, dryRun: true });
      return;
    }
    const expiry = (await readProject(ctx, flags)).config.feed.expiry;
    const store = await feedStore(ctx, flags.feed);
    const r = await rotateKey(store, {
      role,
      algorithm,
      dir: ctx.path(flags.keys),
      env: ctx.io.env,
      now: new Date(),
      expiry,
    });
    ctx.out.result(
      `rotated ${role}: ${r.oldKeyID.slice(0, 12)}… → ${r.newKeyID.slice(0, 12)}… (root is at version ${r.rootVersion}; the old private key is kept as ${role}.retired-*.pem)`,
      r,
    );
  },
});
