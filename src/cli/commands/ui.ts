import { readFile } from 'node:fs/promises';
import { findAgent } from '../../agent/remote.ts';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf } from '../instance-common.ts';

/** slipway ui: the address of the Settings › Updates page of the running agent, signed in. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const api = await findAgent(layout);
    if (!api)
      throw new SlipwayError(
        'AGENT_NOT_RUNNING',
        `no agent runs for ${layout.root}; start it with slipway agent --root ${layout.root}`,
      );
    const token = (await readFile(layout.token, 'utf8')).trim();
    // The token rides in the fragment: the browser never sends it to a server or writes it in a log.
    const url = `${api.url}/#token=${token}`;
    ctx.out.result(`Open ${url}\n(the link signs you in; keep it to yourself)`, { url });
  },
});
