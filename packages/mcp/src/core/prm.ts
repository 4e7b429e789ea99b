/**
 * RFC 9728 protected-resource metadata (PRM-1, PRM-2). §3.1: the well-known suffix is inserted
 * between the host and the path of the resource identifier.
 */

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
}

export function wellKnownPath(resource: string): string {
  const path = new URL(resource).pathname.replace(/\/$/, '');
  return `/.well-known/oauth-protected-resource${path}`;
}

export function metadataUrl(resource: string): string {
  return new URL(wellKnownPath(resource), resource).href;
}

export function protectedResourceMetadata(o: {
  resource: string;
  issuer: string;
  scopes: string[];
  name: string;
  dpopAlgs: string[] | undefined;
  dpopRequired: boolean;
}): ProtectedResourceMetadata {
  const doc: ProtectedResourceMetadata = {
    resource: o.resource,
    authorization_servers: [o.issuer],
    // SCOPE-1: offline_access is the client's business with the AS, never advertised by the RS.
    scopes_supported: o.scopes.filter((s) => s !== 'offline_access'),
    // TOK-1 / RFC 6750 §2.1: the header only.
    bearer_methods_supported: ['header'],
    resource_name: o.name,
  };
  if (o.dpopAlgs) {
    doc.dpop_signing_alg_values_supported = o.dpopAlgs;
    doc.dpop_bound_access_tokens_required = o.dpopRequired;
  }
  return doc;
}
