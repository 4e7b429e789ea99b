// Lets @modelcontextprotocol/conformance 0.2.0 load on Node 20. Its bundle does
// `import { globSync } from "fs"` at the top, and fs.globSync exists only from Node 22; the tool
// uses it only in its `tier-check` command, never in `authorization`. This preload maps "fs" —
// for modules of that package only — to Node's fs plus a globSync that throws, so the
// authorization scenarios run unchanged. On Node 22+ it does nothing.
// Usage: node --import ./node20-fs-glob.mjs node_modules/.bin/conformance authorization …
import { register } from 'node:module';
import fs from 'node:fs';

if (typeof fs.globSync !== 'function') register(new URL('./fs-glob-hooks.mjs', import.meta.url));
