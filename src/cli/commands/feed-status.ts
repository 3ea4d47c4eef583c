import { feedStatus } from '../../feed/maintain.ts';
import { defineCommand, feedDir, json } from '../command.ts';
import { feedStore, readProject } from '../feed-common.ts';

const human = (seconds: number): string => {
  const a = Math.abs(seconds);
  const t =
    a >= 86_400
      ? `${Math.floor(a / 86_400)}d ${Math.floor((a % 86_400) / 3600)}h`
      : a >= 3600
        ? `${Math.floor(a / 3600)}h ${Math.floor((a % 3600) / 60)}m`
        : `${Math.floor(a / 60)}m`;
  return seconds < 0 ? `expired ${t} ago` : `in ${t}`;
};

/** slipway feed status: exit 1 when a role has expired. */
export default defineCommand({
  options: { feed: feedDir, json },
  async run(ctx, flags) {
    const p = await readProject(ctx, flags);
    const s = await feedStore(ctx, flags.feed);
    const st = await feedStatus(s, new Date(), p.config.feed.expiry);
    const lines = [
      `feed ${s.location}`,
      ...st.roles.map((r) => {
        const name = r.bins ? `  ${r.role.replace('.bin-*', '')} bins` : r.role;
        return `  ${name.padEnd(16)} v${String(r.version).padEnd(5)} expires ${r.expires} (${human(r.expiresIn)})${r.bins ? `, the first of ${r.bins}` : ''}${r.state === 'ok' ? '' : `  ${r.state.toUpperCase()}`}`;
      }),
      ...st.channels.map(
        (c) =>
          `  ${c.channel.padEnd(16)} ${c.releases} release(s)${c.yanked ? `, ${c.yanked} yanked` : ''}, newest ${c.newest ?? '—'}${c.agent.length > 0 ? `; Slipway ${c.agent.join(', ')}` : ''}`,
      ),
    ];
    ctx.out.result(lines.join('\n'), { feed: s.location, ...st });
    return st.roles.some((r) => r.state === 'expired') ? 1 : 0;
  },
});
