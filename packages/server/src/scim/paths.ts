/** Where SCIM lives and the scope that unlocks it. */
export const SCIM_BASE = '/scim/v2';
/** Client credentials for a provisioning client (an identity provider) carry this scope. */
export const SCIM_SCOPE = 'mandate:scim';

export function scimUrl(issuer: string, path: string): string {
  return `${issuer}${SCIM_BASE}${path}`;
}

export function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}
