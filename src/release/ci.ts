import { stringify } from 'yaml';
import type { ResolvedConfig } from '../core/config/schema.ts';

/**
 * The CI files `slipway ci` writes, in the library strategy's shape: the full history
 * (fetch-depth 0: the last tag and the commits since it), the version-vs-tag check, then
 * `slipway release`, with `id-token: write` so registries that take trusted publishing
 * (PyPI, npm provenance) need no stored token.
 *
 * Two triggers: `tag` (a maintainer pushes v1.2.3; the job checks the version files agree and
 * builds and publishes that tag) and `branch` (every push to the main branch; the job plans,
 * commits, tags and pushes itself, and does nothing when nothing warrants a release).
 */
export type CiTrigger = 'tag' | 'branch';

/**
 * How the job gets Slipway. Slipway is not on the npm registry: `binary` downloads the
 * single-file executable from a URL the project sets (a repository variable, with its sha256
 * checked); `npm` runs the copy the project's own package.json pins (npm ci, then npx).
 */
export type CiInstall = 'binary' | 'npm';

export interface CiOptions {
  trigger: CiTrigger;
  install: CiInstall;
}

function tagGlob(config: ResolvedConfig): string {
  return `${config.tagPrefix}*.*.*`;
}

function installSteps(install: CiInstall, vars: { url: string; sha: string }): string[] {
  if (install === 'npm') return ['npm ci'];
  return [
    `curl -fsSL --retry 3 -o "$RUNNER_TEMP/slipway" "${vars.url}"`,
    `echo "${vars.sha}  $RUNNER_TEMP/slipway" | sha256sum -c -`,
    'chmod +x "$RUNNER_TEMP/slipway"',
  ];
}

const slipway = (install: CiInstall): string => (install === 'npm' ? 'npx slipway' : '"$RUNNER_TEMP/slipway"');

/** .github/workflows/release.yml */
export function githubWorkflow(config: ResolvedConfig, options: CiOptions): string {
  const run = slipway(options.install);
  const on =
    options.trigger === 'tag'
      ? { push: { tags: [tagGlob(config)] }, workflow_dispatch: null }
      : { push: { branches: [config.feed.mainBranch] }, workflow_dispatch: null };
  const steps: Record<string, unknown>[] = [
    { name: 'Checkout', uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
    { name: 'Set up Node.js', uses: 'actions/setup-node@v4', with: { 'node-version': '24' } },
    {
      name: 'Install Slipway',
      run: installSteps(options.install, { url: '${SLIPWAY_URL}', sha: '${SLIPWAY_SHA256}' }).join('\n'),
      ...(options.install === 'binary'
        ? { env: { SLIPWAY_URL: '${{ vars.SLIPWAY_URL }}', SLIPWAY_SHA256: '${{ vars.SLIPWAY_SHA256 }}' } }
        : {}),
    },
  ];
  if (options.trigger === 'tag') {
    steps.push(
      { name: 'Validate version against tag', run: `${run} check-version --tag "$GITHUB_REF_NAME"` },
      {
        name: 'Release',
        run: `${run} release --tag "$GITHUB_REF_NAME" --yes`,
        env: { SLIPWAY_KEY_PASSPHRASE: '${{ secrets.SLIPWAY_KEY_PASSPHRASE }}' },
      },
    );
  } else {
    steps.push(
      {
        name: 'Configure git for the release commit',
        run: [
          'git config user.name "github-actions[bot]"',
          'git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
        ].join('\n'),
      },
      {
        name: 'Release',
        run: `${run} release --yes --if-needed`,
        env: { SLIPWAY_KEY_PASSPHRASE: '${{ secrets.SLIPWAY_KEY_PASSPHRASE }}' },
      },
    );
  }
  const doc = {
    name: 'Release',
    on,
    concurrency: { group: 'release', 'cancel-in-progress': false },
    jobs: {
      release: {
        name: 'Release',
        'runs-on': 'ubuntu-latest',
        permissions: {
          contents: 'write',
          // IMPORTANT: trusted publishing (PyPI) and npm provenance need it.
          'id-token': 'write',
        },
        steps,
      },
    },
  };
  return `# Written by \`slipway ci --github\`; the release strategy itself is in slipway.json.\n${stringify(doc, { lineWidth: 0 })}`;
}

/** .gitlab-ci.yml (a release stage and job) */
export function gitlabJob(config: ResolvedConfig, options: CiOptions): string {
  const run = options.install === 'npm' ? 'npx slipway' : '"$CI_PROJECT_DIR/.slipway-bin"';
  const escaped = config.tagPrefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const rule =
    options.trigger === 'tag'
      ? { if: `$CI_COMMIT_TAG =~ /^${escaped}\\d+\\.\\d+\\.\\d+/` }
      : { if: `$CI_COMMIT_BRANCH == "${config.feed.mainBranch}" && $CI_COMMIT_TAG == null` };
  const install =
    options.install === 'npm'
      ? ['npm ci']
      : [
          'curl -fsSL --retry 3 -o "$CI_PROJECT_DIR/.slipway-bin" "$SLIPWAY_URL"',
          'echo "$SLIPWAY_SHA256  $CI_PROJECT_DIR/.slipway-bin" | sha256sum -c -',
          'chmod +x "$CI_PROJECT_DIR/.slipway-bin"',
        ];
  const script =
    options.trigger === 'tag'
      ? [`${run} check-version --tag "$CI_COMMIT_TAG"`, `${run} release --tag "$CI_COMMIT_TAG" --yes`]
      : [
          // Runners check out a detached HEAD; a release is cut on the branch. Pushing needs a
          // project access token with write_repository in the RELEASE_TOKEN variable.
          'git checkout -B "$CI_COMMIT_BRANCH" "$CI_COMMIT_SHA"',
          'git remote set-url origin "https://gitlab-ci-token:${RELEASE_TOKEN}@${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git"',
          'git config user.name "slipway-release"',
          'git config user.email "release@${CI_SERVER_HOST}"',
          `${run} release --yes --if-needed`,
        ];
  const doc = {
    stages: ['release'],
    release: {
      stage: 'release',
      image: 'node:24',
      variables: { GIT_DEPTH: '0', GIT_STRATEGY: 'clone' },
      rules: [rule],
      resource_group: 'release',
      // Trusted publishing: PyPI and npm read these OIDC tokens.
      id_tokens: { PYPI_ID_TOKEN: { aud: 'pypi' }, NPM_ID_TOKEN: { aud: 'npm:registry.npmjs.org' } },
      before_script: install,
      script,
    },
  };
  return `# Written by \`slipway ci --gitlab\`; the release strategy itself is in slipway.json.\n${stringify(doc, { lineWidth: 0 })}`;
}
