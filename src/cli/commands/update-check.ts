import type { CheckResult } from '../../agent/instance.ts';
import { findAgent } from '../../agent/remote.ts';
import { affectingText } from '../../core/advisory/feed.ts';
import { defineCommand, json, rootDir } from '../command.ts';
import { layoutOf, openInstance } from '../instance-common.ts';

/** slipway update check: what the channel offers this instance. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const layout = await layoutOf(ctx, flags.root);
    const api = await findAgent(layout);
    const r: CheckResult = api
      ? await api.call<CheckResult>('GET', '/api/check')
      : await (await openInstance(ctx, layout)).check();
    const t = r.selection.target;
    const security = r.security;
    const lines = [`${r.current ?? 'nothing installed'} on ${r.channel}`];
    if (!t) lines.push('up to date');
    else {
      lines.push(
        `available: ${t.version}${t.channel !== r.channel ? ` (${t.channel})` : ''}${security ? `  SECURITY (${security})` : ''}${t.breaking ? '  BREAKING' : ''}`,
      );
      if (r.selection.steppingStone)
        lines.push(
          `  ${r.selection.newest!.version} is newer but needs ${r.selection.newest!.minimumVersion} first; ${t.version} is the stepping stone`,
        );
      if (r.held) lines.push(`  held: it failed before (${r.held})`);
      if (r.manifest?.notes) lines.push('', r.manifest.notes.trimEnd());
    }
    for (const y of r.selection.yanked) lines.push(`  ${y.version} was yanked: ${y.yanked!.reason}`);
    for (const a of r.advisories ?? []) lines.push(`  ${affectingText(r.current!, a)}`);
    if (r.support?.warning) lines.push(`  warning: ${r.support.warning}`);
    ctx.out.result(lines.join('\n'), r);
  },
});
