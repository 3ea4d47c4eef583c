import { loadAdvisory, refreshRanges } from '../../release/advisory.ts';
import { defineCommand } from '../command.ts';
import { loadProject } from '../context.ts';

/** slipway advisory show <id>: the OSV JSON, ranges computed from the tags. */
export default defineCommand({
  args: [{ name: '<id>', description: 'the advisory id, or its CVE' }],
  options: {},
  async run(ctx, flags, args) {
    const { config, root } = await loadProject(ctx, flags);
    const a = await refreshRanges(root, config, await loadAdvisory(root, config, args[0]!));
    ctx.io.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
    return 0;
  },
});
