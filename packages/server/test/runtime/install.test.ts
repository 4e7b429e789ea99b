/**
 * The base64 builtins are installed before any module that feature-detects them at load
 * (oauth4webapi, @scure/base): the entry points import src/runtime/install.ts first.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const firstImport = (relative: string) => {
  const source = readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');
  return /^import\s[^;]*;/m.exec(source)?.[0];
};

describe('runtime/install.ts is the entry points’ first import', () => {
  it('src/main.ts imports it before anything else', () => {
    expect(firstImport('../../src/main.ts')).toBe("import './runtime/install.ts';");
  });

  it('scripts/start.ts imports it before anything else', () => {
    expect(firstImport('../../../../scripts/start.ts')).toBe("import '../packages/server/src/runtime/install.ts';");
  });

  it('importing it installs Uint8Array toBase64 and fromBase64', async () => {
    await import('../../src/runtime/install.ts');
    expect(typeof (Uint8Array.prototype as { toBase64?: unknown }).toBase64).toBe('function');
    expect(typeof (Uint8Array as { fromBase64?: unknown }).fromBase64).toBe('function');
    expect((new Uint8Array([102, 111, 111]) as unknown as { toBase64(): string }).toBase64()).toBe('Zm9v');
  });
});
