// Builds a release archive of the sample app: node examples/sample-app/build.ts <version> <out.tar.gz> [--schema N] [--config-version N] [--broken]
import { buildSampleRelease } from '../../src/testing/sample-app.ts';

const [version, out] = process.argv.slice(2);
if (!version || !out) {
  process.stderr.write(
    'usage: node examples/sample-app/build.ts <version> <out.tar.gz> [--schema N] [--config-version N] [--broken]\n',
  );
  process.exit(2);
}
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
await buildSampleRelease({
  version,
  out,
  schema: Number(arg('--schema') ?? 1),
  configVersion: Number(arg('--config-version') ?? 1),
  broken: process.argv.includes('--broken'),
});
process.stdout.write(`${out}\n`);
