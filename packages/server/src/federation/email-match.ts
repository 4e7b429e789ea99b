/**
 * Comparing an email asserted by another issuer with one of ours. Storage looks users up by a
 * Unicode-lowercased key, under which `\u212Aate@example.com` (KELVIN SIGN) and `kate@example.com`
 * collide; an external issuer must never reach an account through such a collision. So the user a
 * lookup returns is accepted only when the two addresses are equal up to ASCII letter case, and
 * domains are compared the same way.
 */

/** ASCII A–Z to a–z, nothing else: no Unicode case mapping, no trimming. */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Equal up to ASCII letter case only. */
export function sameEmail(local: string, asserted: string): boolean {
  return asciiLower(local) === asciiLower(asserted);
}
