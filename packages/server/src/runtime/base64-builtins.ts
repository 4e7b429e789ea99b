/**
 * The ES2026 base64 methods of Uint8Array (`toBase64`, `Uint8Array.fromBase64`; TC39
 * proposal-arraybuffer-base64), installed when the runtime lacks them (as Node 20 does).
 *
 * Why: jose encodes and decodes every JWT segment through these methods when they exist, and
 * otherwise through `btoa`/`atob` over a string built one character at a time. On Node 20 that
 * fallback was ~8 % of a token signature's main-thread cost (docs/benchmarks.md). Buffer's native
 * base64 does the same work; what it lacks is the proposal's strictness when decoding (Buffer
 * skips characters outside the alphabet), so input is validated here first, and only input the
 * proposal accepts reaches Buffer.
 *
 * This is the one place where Mandate touches a global. A runtime that has the methods keeps its
 * own: nothing is replaced.
 */

type Alphabet = 'base64' | 'base64url';
type LastChunkHandling = 'loose' | 'strict' | 'stop-before-partial';

interface ToBase64Options {
  alphabet?: Alphabet;
  omitPadding?: boolean;
}
interface FromBase64Options {
  alphabet?: Alphabet;
  lastChunkHandling?: LastChunkHandling;
}

const ALPHABET_CHARS: Record<Alphabet, RegExp> = {
  base64: /^[A-Za-z0-9+/]*$/,
  base64url: /^[A-Za-z0-9_-]*$/,
};
/** The proposal's "ASCII whitespace": TAB, LF, FF, CR, SPACE. */
const ASCII_WHITESPACE = /[\t\n\f\r ]/g;

function optionsObject(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  return options as Record<string, unknown>;
}

function alphabetOf(options: Record<string, unknown>): Alphabet {
  const alphabet = options['alphabet'] ?? 'base64';
  if (alphabet !== 'base64' && alphabet !== 'base64url') throw new TypeError('expected alphabet to be "base64" or "base64url"');
  return alphabet;
}

function lastChunkHandlingOf(options: Record<string, unknown>): LastChunkHandling {
  const handling = options['lastChunkHandling'] ?? 'loose';
  if (handling !== 'loose' && handling !== 'strict' && handling !== 'stop-before-partial') {
    throw new TypeError('expected lastChunkHandling to be "loose", "strict" or "stop-before-partial"');
  }
  return handling;
}

function asUint8Array(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('not a Uint8Array');
  if (isDetached(value.buffer)) throw new TypeError('the buffer is detached');
  return value;
}

function isDetached(buffer: ArrayBufferLike): boolean {
  return 'detached' in buffer && (buffer as ArrayBuffer & { detached?: boolean }).detached === true;
}

export function toBase64(bytes: Uint8Array, options?: ToBase64Options): string {
  const opts = optionsObject(options);
  const alphabet = alphabetOf(opts);
  const omitPadding = Boolean(opts['omitPadding']);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (alphabet === 'base64') {
    const text = view.toString('base64');
    return omitPadding ? text.replace(/=+$/, '') : text;
  }
  const text = view.toString('base64url'); // Buffer's base64url never pads
  return omitPadding ? text : text + '='.repeat((4 - (text.length % 4)) % 4);
}

/** Decodes per the proposal's FromBase64: whitespace skipped, anything else outside the alphabet a SyntaxError. */
export function fromBase64(input: unknown, options?: FromBase64Options): Uint8Array {
  if (typeof input !== 'string') throw new TypeError('expected input to be a string');
  const opts = optionsObject(options);
  const alphabet = alphabetOf(opts);
  const lastChunkHandling = lastChunkHandlingOf(opts);
  const text = input.replace(ASCII_WHITESPACE, '');
  const padAt = text.indexOf('=');
  let data = padAt < 0 ? text : text.slice(0, padAt);
  if (!ALPHABET_CHARS[alphabet].test(data)) throw new SyntaxError('unexpected character in base64 input');
  const partial = data.length % 4;
  if (padAt >= 0) {
    // Padding completes a final chunk of 2 data characters with "==" or of 3 with "=", and ends the input.
    const padding = text.slice(padAt);
    const expected = partial === 2 ? '==' : partial === 3 ? '=' : null;
    if (padding === '=' && partial === 2 && lastChunkHandling === 'stop-before-partial') {
      data = data.slice(0, data.length - partial); // the input ended inside the padding: a partial chunk
    } else {
      if (expected === null || padding !== expected) throw new SyntaxError('malformed padding in base64 input');
      if (lastChunkHandling === 'strict') checkZeroOverflowBits(data, alphabet);
    }
  } else if (partial === 1) {
    // One character carries only 6 bits: not even one byte. stop-before-partial ignores it.
    if (lastChunkHandling !== 'stop-before-partial') throw new SyntaxError('incomplete base64 chunk');
    data = data.slice(0, data.length - partial);
  } else if (partial !== 0) {
    if (lastChunkHandling === 'strict') throw new SyntaxError('missing padding in base64 input');
    if (lastChunkHandling === 'stop-before-partial') data = data.slice(0, data.length - partial);
  }
  // Into memory of its own, as the proposal's result has: Buffer.from may return a view into
  // Node's shared pool, whose `.buffer` holds other allocations' bytes.
  const out = new Uint8Array(Buffer.byteLength(data, alphabet));
  Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(data, alphabet);
  return out;
}

/** Strict decoding refuses a final chunk whose unused low bits are not zero (the proposal's step for "strict"). */
function checkZeroOverflowBits(data: string, alphabet: Alphabet): void {
  const partial = data.length % 4;
  const last = data.slice(data.length - partial);
  // Round-tripping the chunk through Buffer: a chunk with stray low bits does not re-encode to itself.
  const reencoded = toBase64(Buffer.from(last, alphabet), { alphabet, omitPadding: true });
  if (reencoded !== last) throw new SyntaxError('non-zero padding bits in base64 input');
}

/** Installs the two methods where missing; a no-op on runtimes that have them. */
export function installBase64Builtins(): void {
  if (typeof (Uint8Array.prototype as { toBase64?: unknown }).toBase64 !== 'function') {
    Object.defineProperty(Uint8Array.prototype, 'toBase64', {
      value: function (this: unknown, options?: ToBase64Options): string {
        return toBase64(asUint8Array(this), options);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (typeof (Uint8Array as { fromBase64?: unknown }).fromBase64 !== 'function') {
    Object.defineProperty(Uint8Array, 'fromBase64', {
      value: (input: unknown, options?: FromBase64Options): Uint8Array => fromBase64(input, options),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
