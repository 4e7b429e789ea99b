/** fast-check arbitraries shared by the endpoint fuzz tests. */
import fc from 'fast-check';

/** Printable ASCII (quotes, backslashes and separators included), up to `max` characters. */
export const printable = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: max });

/** A DPoP header value that is never a valid proof: printable garbage or an unsigned `alg: none` JWT. */
export const garbageDpopProof = (max: number): fc.Arbitrary<string> => fc.oneof(printable(max), fc.constant('eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.'));
