/**
 * RFC 8414 authorization-server metadata, fetched once and cached. §3.3: the `issuer` in the
 * document must equal the issuer we asked for, exactly; otherwise nothing in it is trusted.
 * Path-inserted well-known first (§3.1), then OpenID discovery (C-2's order).
 */

export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  token_endpoint?: string;
  [member: string]: unknown;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

function candidates(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const origin = url.origin;
  if (path === '') return [`${origin}/.well-known/oauth-authorization-server`, `${origin}/.well-known/openid-configuration`];
  return [
    `${origin}/.well-known/oauth-authorization-server${path}`,
    `${origin}/.well-known/openid-configuration${path}`,
    `${origin}${path}/.well-known/openid-configuration`,
  ];
}

export async function discoverAuthorizationServer(issuer: string, fetchImpl: FetchLike, timeoutMs: number): Promise<AuthorizationServerMetadata> {
  let lastError = 'no metadata document found';
  for (const url of candidates(issuer)) {
    let res: Response;
    try {
      res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      lastError = `${url}: ${(err as Error).message}`;
      continue;
    }
    if (!res.ok) {
      lastError = `${url}: HTTP ${res.status}`;
      continue;
    }
    const doc = (await res.json()) as AuthorizationServerMetadata;
    if (doc.issuer !== issuer) throw new Error(`authorization server metadata names issuer ${String(doc.issuer)}, expected ${issuer} (RFC 8414 §3.3)`);
    return doc;
  }
  throw new Error(`authorization server metadata unavailable: ${lastError}`);
}

/** Caches the metadata; a failed discovery is retried on the next call, not cached. */
export class MetadataCache {
  private doc: Promise<AuthorizationServerMetadata> | undefined;
  constructor(
    private readonly issuer: string,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs: number,
  ) {}

  get(): Promise<AuthorizationServerMetadata> {
    if (!this.doc) {
      this.doc = discoverAuthorizationServer(this.issuer, this.fetchImpl, this.timeoutMs);
      this.doc.catch(() => {
        this.doc = undefined;
      });
    }
    return this.doc;
  }
}
