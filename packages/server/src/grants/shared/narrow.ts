/**
 * What a token request may ask for, relative to what was granted: it may narrow, never widen.
 * Scope: RFC 6749 §6 (refresh) and §3.3; resources: RFC 8707 §2.2; authorization details:
 * RFC 9396 §6.1. Omitting a parameter means "everything granted".
 */
import { formatScope, InvalidAuthorizationDetailsError, InvalidScopeError, parseScope } from '@mandate/protocol';
import type { MandateConfig } from '../../config/config.ts';
import type { Params } from '../../http/params.ts';
import { parseRequestedScope } from '../../checks/scope.ts';
import { checkResourcesWithinGrant } from '../../checks/resource-indicators.ts';
import { isDetailsSubset, parseAuthorizationDetails } from '../../checks/authorization-details.ts';

export interface Granted {
  scope: string;
  resources: string[];
  authorizationDetails: Record<string, unknown>[] | null;
}

/** The part of a grant one access token carries. */
export interface Narrowed extends Granted {
  /** The scope the client asked for at the token endpoint (for the audit), or null when omitted. */
  requestedScope: string | null;
}

export function narrowGrant(params: Params, granted: Granted, config: Pick<MandateConfig, 'authorizationDetailsTypes'>): Narrowed {
  const requestedScope = params.get('scope') ?? null;
  return {
    requestedScope,
    scope: narrowScope(requestedScope, granted.scope),
    resources: checkResourcesWithinGrant(unique(params.getAll('resource')), granted.resources),
    authorizationDetails: narrowAuthorizationDetails(params.get('authorization_details'), granted.authorizationDetails, config),
  };
}

/** RFC 6749 §6: "MUST NOT include any scope not originally granted"; broader → invalid_scope. */
export function narrowScope(requested: string | null, granted: string): string {
  if (requested === null) return granted;
  const asked = parseRequestedScope(requested);
  if (asked.size === 0) return granted;
  const grantedSet = parseScope(granted) ?? new Set<string>();
  for (const s of asked) {
    if (!grantedSet.has(s)) throw new InvalidScopeError(`The scope '${s}' was not granted; a token request may only narrow the granted scope.`);
  }
  return formatScope(asked);
}

/** RFC 9396 §6.1: authorization_details at the token endpoint must be a subset of those granted. */
export function narrowAuthorizationDetails(
  requested: string | undefined,
  granted: Record<string, unknown>[] | null,
  config: Pick<MandateConfig, 'authorizationDetailsTypes'>,
): Record<string, unknown>[] | null {
  if (requested === undefined) return granted;
  const asked = parseAuthorizationDetails(requested, config.authorizationDetailsTypes);
  if (asked === null) return granted;
  if (!isDetailsSubset(asked, granted ?? [])) {
    throw new InvalidAuthorizationDetailsError('authorization_details may only repeat details that were granted (RFC 9396 §6.1).');
  }
  return asked;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
