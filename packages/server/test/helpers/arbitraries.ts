/** fast-check arbitraries shared by the endpoint fuzz tests. */
import fc from 'fast-check';

/** Printable ASCII (quotes, backslashes and separators included), up to `max` characters. */
export const printable = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: max });

/** A DPoP header value that is never a valid proof: printable garbage or an unsigned `alg: none` JWT. */
export const garbageDpopProof = (max: number): fc.Arbitrary<string> => fc.oneof(printable(max), fc.constant('eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.'));

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * One base64url character of `part` changed by flipping its top bit: a data bit even in the last
 * character, whose low bits may be padding that decoders ignore ('A' → 'B' there changes nothing,
 * and a "tampered" signature would still verify).
 */
export function flipBase64urlChar(part: string, pos: number): string {
  const at = pos % part.length;
  return `${part.slice(0, at)}${B64URL[B64URL.indexOf(part[at]!) ^ 32]}${part.slice(at + 1)}`;
}
