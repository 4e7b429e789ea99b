/**
 * The credential a browser returns (WebAuthn L3 §5.1 PublicKeyCredential, in its JSON form
 * §5.1.8 / §5.1.9) arrives as one form field. It is parsed defensively: bounded size, an object
 * with string `id`, `rawId` and `type` and an object `response`; anything else is refused before
 * it reaches the verifier.
 */
const MAX_LENGTH = 16_384;

export function parseCredentialJson<T>(value: string | undefined): T | null {
  if (value === undefined || value === '' || value.length > MAX_LENGTH) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const p = parsed as Record<string, unknown>;
  if (typeof p.id !== 'string' || typeof p.rawId !== 'string' || p.type !== 'public-key') return null;
  if (typeof p.response !== 'object' || p.response === null || Array.isArray(p.response)) return null;
  if (p.clientExtensionResults === undefined) p.clientExtensionResults = {};
  return parsed as T;
}
