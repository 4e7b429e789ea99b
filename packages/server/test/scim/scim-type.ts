/** The scimType (RFC 7644 §3.12) of the ScimError `fn` throws, or null when it does not throw. */
import { expect } from 'vitest';
import { ScimError } from '../../src/scim/errors.ts';

export function scimTypeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    return (err as ScimError).scimType;
  }
}
