// `npm start` (through start.cjs, which sizes the thread pool first): bundles scripts/start.ts (our TypeScript only; every npm dependency stays external)
// with esbuild into dist/, then runs it with plain node. Running compiled JavaScript instead of
// compiling TypeScript on the fly at every start keeps start-up and resident memory low
// (docs/benchmarks.md); the bundle is rebuilt on each start, so it never runs stale code.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
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

const result = await build({
  absWorkingDir: root,
  entryPoints: ['scripts/start.ts'],
  outdir: 'dist',
  // Dynamic imports stay dynamic (the demo servers load after the authorization server listens),
  // so their npm dependencies are imported only when that chunk is.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  metafile: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [externalPackages, sourceMetaUrl],
});
removeStaleChunks(result.metafile);
await import(pathToFileURL(`${root}dist/start.mjs`).href);

/** Chunk names carry a content hash: drop those an earlier build wrote and this one did not. */
function removeStaleChunks(metafile) {
  const dir = `${root}dist/chunks`;
  const current = new Set(Object.keys(metafile.outputs).map((out) => basename(out)));
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no chunks directory: nothing to clean
  }
  for (const name of names) if (!current.has(name)) rmSync(`${dir}/${name}`, { force: true });
}
