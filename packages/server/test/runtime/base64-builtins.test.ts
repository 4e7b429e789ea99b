/**
 * The Uint8Array base64 methods Mandate installs on runtimes without them (src/runtime/base64-builtins.ts):
 * RFC 4648 §10 vectors, the proposal's alphabet and padding rules, and the errors it specifies.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CompactSign, compactVerify, generateKeyPair } from 'jose';
import { fromBase64, installBase64Builtins, toBase64 } from '../../src/runtime/base64-builtins.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('RFC 4648 §10 test vectors', () => {
  const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
  it.each(vectors)('encodes and decodes %j', (plain, encoded) => {
    expect(toBase64(ascii(plain))).toBe(encoded);
    expect(toBase64(ascii(plain), { omitPadding: true })).toBe(encoded.replace(/=+$/, ''));
    expect(text(fromBase64(encoded))).toBe(plain);
    expect(text(fromBase64(encoded.replace(/=+$/, '')))).toBe(plain);
  });
});

describe('alphabets (RFC 4648 §4 and §5)', () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf]);
  it('uses + and / for base64, - and _ for base64url', () => {
    expect(toBase64(bytes)).toBe('+/+/');
    expect(toBase64(bytes, { alphabet: 'base64url' })).toBe('-_-_');
  });
  it('pads base64url only when asked not to omit padding', () => {
    expect(toBase64(ascii('f'), { alphabet: 'base64url' })).toBe('Zg==');
    expect(toBase64(ascii('f'), { alphabet: 'base64url', omitPadding: true })).toBe('Zg');
  });
  it('refuses the other alphabet when decoding (Buffer alone would accept both)', () => {
    expect(() => fromBase64('-_-_')).toThrow(SyntaxError);
    expect(() => fromBase64('+/+/', { alphabet: 'base64url' })).toThrow(SyntaxError);
    expect(fromBase64('-_-_', { alphabet: 'base64url' })).toEqual(bytes);
  });
  it('round-trips random bytes at every length, on views into larger buffers', () => {
    for (let n = 0; n < 70; n++) {
      const backing = randomBytes(n + 8);
      const view = new Uint8Array(backing.buffer, backing.byteOffset + 3, n);
      for (const alphabet of ['base64', 'base64url'] as const) {
        const omitPadding = n % 2 === 0;
        const padded = Buffer.from(view).toString('base64');
        const expected = (alphabet === 'base64url' ? padded.replace(/\+/g, '-').replace(/\//g, '_') : padded).replace(/=+$/, omitPadding ? '' : '$&');
        const encoded = toBase64(view, { alphabet, omitPadding });
        expect(encoded).toBe(expected);
        expect(fromBase64(encoded, { alphabet })).toEqual(new Uint8Array(view));
      }
    }
  });
});

describe('decoded bytes', () => {
  it('come in an ArrayBuffer of their own, not a view into Node\'s shared Buffer pool', () => {
    Buffer.from('secret bytes that must not leak through another result'); // lands in the pool
    for (const encoded of ['AAAA', 'Zm9vYmFy', 'Zg==', '']) {
      const bytes = fromBase64(encoded);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
    }
    expect(Array.from(fromBase64('AAAA'))).toEqual([0, 0, 0]);
  });
});

describe('decoding errors', () => {
  it('refuses characters outside the alphabet, where Buffer would skip them', () => {
    for (const bad of ['Zm9v!', 'Zm 9v*', 'Zm9v.Zg', 'Zm9v\u00e9', 'Zm9v\v']) expect(() => fromBase64(bad)).toThrow(SyntaxError);
  });
  it('skips ASCII whitespace', () => {
    expect(text(fromBase64(' Zm9v\nYm\tFy\r\f'))).toBe('foobar');
  });
  it('refuses a lone final character and malformed padding', () => {
    for (const bad of ['Zm9vY', 'Z', 'Zg=', 'Zg===', 'Zm8==', 'Zm9v=', 'Zg==Zg==', '=', 'Zg=a']) expect(() => fromBase64(bad), bad).toThrow(SyntaxError);
  });
  it('strict: requires padding and zero overflow bits', () => {
    expect(() => fromBase64('Zg', { lastChunkHandling: 'strict' })).toThrow(SyntaxError);
    expect(() => fromBase64('Zh==', { lastChunkHandling: 'strict' })).toThrow(SyntaxError);
    expect(text(fromBase64('Zg==', { lastChunkHandling: 'strict' }))).toBe('f');
    expect(text(fromBase64('Zh=='))).toBe('f'); // loose ignores the overflow bits
  });
  it('stop-before-partial: leaves a final partial chunk undecoded', () => {
    expect(text(fromBase64('Zm9vYg', { lastChunkHandling: 'stop-before-partial' }))).toBe('foo');
    expect(text(fromBase64('Zm9vY', { lastChunkHandling: 'stop-before-partial' }))).toBe('foo');
    expect(text(fromBase64('Zm9vYg=', { lastChunkHandling: 'stop-before-partial' }))).toBe('foo');
    expect(text(fromBase64('Zm9vYg==', { lastChunkHandling: 'stop-before-partial' }))).toBe('foob');
  });
  it('refuses bad arguments with TypeError', () => {
    expect(() => fromBase64(42)).toThrow(TypeError);
    expect(() => fromBase64('Zg==', { alphabet: 'hex' as never })).toThrow(TypeError);
    expect(() => fromBase64('Zg==', { lastChunkHandling: 'lenient' as never })).toThrow(TypeError);
    expect(() => toBase64(ascii('f'), 'base64url' as never)).toThrow(TypeError);
    expect(() => toBase64(ascii('f'), { alphabet: 'base32' as never })).toThrow(TypeError);
  });
});

describe('installBase64Builtins', () => {
  it('installs non-enumerable methods that jose then uses to sign and verify', async () => {
    installBase64Builtins();
    const proto = Uint8Array.prototype as unknown as { toBase64: (o?: unknown) => string };
    expect(typeof proto.toBase64).toBe('function');
    expect(Object.keys(Uint8Array.prototype)).not.toContain('toBase64');
    expect((ascii('foob') as unknown as { toBase64: unknown }).toBase64).toBe(proto.toBase64);
    expect(() => proto.toBase64.call(new Uint16Array(2))).toThrow(TypeError);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jws = await new CompactSign(ascii('{"a":1}')).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    expect(text((await compactVerify(jws, publicKey)).payload)).toBe('{"a":1}');
    await expect(compactVerify(jws.replace('.', '.!'), publicKey)).rejects.toThrow();
  });
  it('leaves methods a runtime already has in place', () => {
    installBase64Builtins();
    const first = (Uint8Array as unknown as { fromBase64: unknown }).fromBase64;
    installBase64Builtins();
    expect((Uint8Array as unknown as { fromBase64: unknown }).fromBase64).toBe(first);
  });
});
