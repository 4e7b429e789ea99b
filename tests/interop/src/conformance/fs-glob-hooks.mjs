// ESM resolve hook (node:module register): "fs" imported by @modelcontextprotocol/conformance
// resolves to fs-with-glob.mjs. Every other importer gets the real module.
const SHIM = new URL('./fs-with-glob.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const fromConformance = context.parentURL?.includes('/@modelcontextprotocol/conformance/') ?? false;
  if (fromConformance && (specifier === 'fs' || specifier === 'node:fs')) return { url: SHIM, shortCircuit: true };
  return nextResolve(specifier, context);
}
