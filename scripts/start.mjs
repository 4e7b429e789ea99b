// `npm start` (through start.cjs, which sizes the thread pool first): bundles scripts/start.ts (our TypeScript only; every npm dependency stays external)
// with esbuild into dist/, then runs it with plain node. Running compiled JavaScript instead of
// compiling TypeScript on the fly at every start keeps start-up and resident memory low
// (docs/benchmarks.md); the bundle is rebuilt on each start, so it never runs stale code.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** npm packages stay external (native addons, wasm, their own files); the @mandate/* workspaces are bundled. */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@mandate/') ? undefined : { path: args.path, external: true }));
  },
};

/** Keeps `import.meta.url` pointing at each module's source file, so files read relative to it (the dev seed, Cedar policies) are found. */
const sourceMetaUrl = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['scripts/start.ts'],
  outfile: 'dist/start.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [externalPackages, sourceMetaUrl],
});
await import(pathToFileURL(`${root}dist/start.mjs`).href);
