import { Instance } from '../../agent/instance.ts';
import { Layout } from '../../agent/layout.ts';
import { readState } from '../../agent/state.ts';
import { buildInfo, SLIPWAY_VERSION } from '../../io/package-info.ts';
import { defineCommand, json, rootDir } from '../command.ts';

/** slipway version: Slipway's line, and the managed app's in the same form. */
export default defineCommand({
  options: { root: rootDir, json },
  async run(ctx, flags) {
    const pkg = { version: SLIPWAY_VERSION };
    const build = buildInfo();
    const channel = (v: string) =>
      /-(nightly|alpha)/.test(v) || v.includes('.nightly.') ? 'nightly' : v.includes('-') ? 'beta' : 'stable';
    const lines = [
      `slipway v${pkg.version} (${channel(pkg.version)}) build ${build.build} commit ${build.commit.slice(0, 7)}`,
    ];
    const data: Record<string, unknown> = {
      slipway: { version: pkg.version, channel: channel(pkg.version), ...build },
    };
    const given = flags.root ?? ctx.io.env.SLIPWAY_ROOT;
    if (given) {
      const layout = new Layout(ctx.path(given));
      const s = await readState(layout.stateFile);
      const kept = s.kept.find((k) => k.version === s.current);
      if (s.current && kept) {
        const i = await Instance.open(layout.root);
        const name = (await i.manifestOf(s.current)).manifest.name;
        lines.push(
          `${name} v${s.current} (${kept.channel}) build ${kept.buildTime ?? kept.installedAt} commit ${(kept.commit ?? 'unknown').slice(0, 7)}`,
        );
        data.app = {
          name,
          version: s.current,
          channel: kept.channel,
          build: kept.buildTime ?? null,
          commit: kept.commit,
        };
      }
    }
    ctx.out.result(lines.join('\n'), data);
  },
});
