import { createInterface } from 'node:readline/promises';
import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, dryRun, json } from '../command.ts';
import { runRelease, type ReleaseOutcome, type ReleasePlan } from '../../release/release.ts';
import { loadProject } from '../context.ts';
import { checkDate, today } from '../output.ts';

function planText(plan: ReleasePlan, dry: boolean): string[] {
  const lines = [
    `${dry ? 'would release' : 'releasing'} ${plan.version} on ${plan.channel}${plan.tag ? ` (${plan.tag})` : ''} from ${plan.branch ?? 'HEAD'}: ${plan.reason}`,
  ];
  if (plan.markers.security)
    lines.push(
      `  security release (${plan.markers.security.severity}${plan.markers.security.advisory ? `, ${plan.markers.security.advisory}` : ''})`,
    );
  if (plan.markers.breaking) lines.push('  breaking');
  for (const c of plan.checks) lines.push(c.startsWith('warning: ') ? `  ! ${c}` : `  ✓ ${c}`);
  plan.steps.forEach((s, i) =>
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.step.padEnd(13)} ${s.skipped ? '–' : '·'} ${s.does}`),
  );
  return lines;
}

/** slipway release: the whole written release process, journaled and resumable. */
export default defineCommand({
  options: {
    channel: { flags: '-c, --channel <channel>', description: 'the channel (default: the stable one)' },
    releaseAs: { flags: '--release-as <version>', description: 'release this version instead of the planned one' },
    yes: { flags: '-y, --yes', description: 'confirm every checklist item (CI)' },
    tag: {
      flags: '--tag <tag>',
      description: 'release a tag that exists at HEAD (CI on a tag push): build, publish, post; no commit, tag or push',
    },
    ifNeeded: { flags: '--if-needed', description: 'exit 0 when there is nothing to release (CI on every push)' },
    abort: {
      flags: '--abort',
      description:
        'give up an unfinished release: before its tag the tree is put back; after it, what stands is listed',
    },
    resume: { flags: '--resume', description: 'finish a release that stopped after its tag, skipping the steps done' },
    sign: { flags: '--sign', description: "sign the tag (git tag -s) even when git's tag.gpgSign is off" },
    allow: {
      flags: '--allow <reason>',
      description: 'release a hotfix that breaks the lane rule; the reason is recorded in the manifest',
    },
    date: {
      flags: '--date <YYYY-MM-DD>',
      description: 'the changelog date (default: today, UTC, or SOURCE_DATE_EPOCH)',
    },
    dryRun,
    json,
  },
  async run(ctx, flags) {
    const { out } = ctx;
    const { config, root, repo } = await loadProject(ctx, flags);
    const channel = flags.channel ?? config.stableChannel;
    const stdin = ctx.io.stdin;
    const confirm =
      stdin?.isTTY === true && !flags.json
        ? async (item: string): Promise<boolean> => {
            const rl = createInterface({ input: stdin, output: ctx.io.stderr as NodeJS.WritableStream });
            try {
              return /^y(es)?$/i.test((await rl.question(`checklist: ${item} — done? [y/N] `)).trim());
            } finally {
              rl.close();
            }
          }
        : undefined;
    let printed = false;
    const run = runRelease({
      root,
      repo,
      config,
      channel,
      releaseAs: flags.releaseAs ?? null,
      dryRun: flags.dryRun === true,
      yes: flags.yes === true,
      resume: flags.resume === true,
      abort: flags.abort === true,
      onWarning: (text) => out.warn(text),
      sign: flags.sign === true,
      fromTag: flags.tag ?? null,
      allow: flags.allow ?? null,
      date: flags.date === undefined ? today(ctx.io.env) : checkDate(flags.date),
      now: () => new Date(),
      env: ctx.io.env,
      ...(confirm ? { confirm } : {}),
      onStep: (step, state, detail) => {
        if (flags.json) return;
        if (state === 'start') out.info(`▸ ${step}${detail ? `: ${detail}` : ''}`);
        else if (state === 'failed') out.info(`  ✗ ${step} failed`);
        else out.info(`  ${state === 'done' ? '✓' : '–'} ${step}${detail ? `: ${detail}` : ''}`);
      },
      onOutput: (chunk) => {
        if (!printed && !flags.json) printed = true;
        ctx.io.stderr.write(chunk.toString('utf8'));
      },
    });
    let r: ReleaseOutcome;
    try {
      r = await run;
    } catch (error) {
      if (flags.ifNeeded && error instanceof SlipwayError && error.code === 'NOTHING_TO_RELEASE') {
        out.result(error.message, { outcome: 'nothing', reason: error.message });
        return 0;
      }
      throw error;
    }
    const data = {
      outcome: r.outcome,
      dryRun: flags.dryRun === true,
      resumed: r.resumed,
      version: r.plan.version,
      tag: r.plan.tag,
      channel: r.plan.channel,
      commit: r.journal?.commit ?? null,
      plan: r.plan,
      gates: r.gateResults.map((g) => ({ name: g.name, status: g.status, ms: g.ms })),
      steps: r.journal?.steps ?? null,
      artifacts: r.journal?.artifacts ?? [],
      published: r.published,
    };
    if (r.outcome === 'abandoned') {
      out.result(
        [
          `gave up the release of ${r.plan.tag ?? r.plan.version}${flags.dryRun ? ' (dry run: nothing changed)' : ''}`,
          ...(r.stands ?? []).map((x) => `  left standing: ${x}`),
        ].join('\n'),
        { ...data, stands: r.stands ?? [] },
      );
      return 0;
    }
    if (r.outcome === 'planned') {
      out.result(
        [
          ...planText(r.plan, true),
          ...(r.gateResults.length > 0 ? [`gates passed: ${r.gateResults.map((g) => g.name).join(', ')}`] : []),
          'dry run: nothing was written',
        ].join('\n'),
        data,
      );
      return 0;
    }
    out.result(
      [
        `released ${r.plan.version} on ${r.plan.channel}${r.plan.tag ? ` (${r.plan.tag} at ${r.journal?.commit?.slice(0, 7)})` : ''}${r.resumed ? ', resumed' : ''}`,
        ...(r.journal?.artifacts ?? []).map((a) => `  ${a.path}  sha256 ${a.sha256}  ${a.length} bytes`),
      ].join('\n'),
      data,
    );
    return 0;
  },
});
