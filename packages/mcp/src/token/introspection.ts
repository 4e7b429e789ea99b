/**
 * RFC 7662 token introspection, for opaque tokens (or every token, in introspection-only mode).
 * The resource server authenticates as a confidential client (§2.1, HTTP Basic per RFC 6749
 * §2.3.1). Answers are cached briefly by token hash, never longer than the token lives; an
 * unreachable AS fails closed (TS-1): 503, never "active".
 */
import { InvalidTokenError, TemporarilyUnavailableError } from '../core/errors.ts';
import type { FetchLike, MetadataCache } from './discovery.ts';
import { checkAudience, type AudienceMatch } from './jwt.ts';
import { tokenHash } from './token-hash.ts';

export interface IntrospectionOptions {
  clientId: string;
  clientSecret: string;
  /** Defaults to the AS metadata's introspection_endpoint. */
  endpoint?: string;
  /** Seconds an answer is reused (default 30). */
  cacheSeconds?: number;
}

export type IntrospectionResponse = { active: boolean } & Record<string, unknown>;

export class Introspector {
  private readonly cache = new Map<string, { until: number; answer: IntrospectionResponse }>();

  constructor(
    private readonly o: IntrospectionOptions,
    private readonly metadata: MetadataCache,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  private basic(): string {
    // RFC 6749 §2.3.1: form-urlencode each part before joining.
    const enc = (s: string) => encodeURIComponent(s);
    return `Basic ${Buffer.from(`${enc(this.o.clientId)}:${enc(this.o.clientSecret)}`).toString('base64')}`;
  }

  async introspect(token: string): Promise<IntrospectionResponse> {
    const key = tokenHash(token);
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.answer;
    const answer = await this.ask(token);
    const exp = typeof answer.exp === 'number' ? answer.exp : now;
    this.cache.set(key, { until: Math.min(now + (this.o.cacheSeconds ?? 30), answer.active ? exp : now + (this.o.cacheSeconds ?? 30)), answer });
    if (this.cache.size > 10_000) for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
    return answer;
  }

  /** Forgets a cached answer (a revocation was learned some other way). */
  forget(token: string): void {
    this.cache.delete(tokenHash(token));
  }

  private async ask(token: string): Promise<IntrospectionResponse> {
    let endpoint = this.o.endpoint;
    let res: Response;
    try {
      endpoint ??= (await this.metadata.get()).introspection_endpoint;
      if (!endpoint) throw new Error('the authorization server advertises no introspection_endpoint');
      res = await this.fetchImpl(endpoint, {
        method: 'POST',
        headers: { authorization: this.basic(), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      // Answered before authentication: the reason (the AS's internal URLs) stays in `cause`.
      throw unavailable(err);
    }
    if (!res.ok) throw unavailable(new Error(`token introspection failed: HTTP ${res.status}`));
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw unavailable(err); // not JSON: the AS's fault, never a 500 here
    }
    if (body === null || typeof body !== 'object' || typeof (body as IntrospectionResponse).active !== 'boolean') throw unavailable(new Error('token introspection returned no active member'));
    return body as IntrospectionResponse;
  }
}

function unavailable(cause: unknown): TemporarilyUnavailableError {
  return Object.assign(new TemporarilyUnavailableError('token introspection is unavailable'), { cause });
}

/** §2.2 answer → claims this resource server accepts: active, our issuer, our audience (exactly, by default), not expired. */
export function claimsFromIntrospection(answer: IntrospectionResponse, issuer: string, resource: string, now: number, leeway: number, audience: AudienceMatch = 'exact'): Record<string, unknown> {
  if (!answer.active) throw new InvalidTokenError('the access token is not active');
  if (answer.iss !== undefined && answer.iss !== issuer) throw new InvalidTokenError('the access token was not issued by the expected authorization server');
  checkAudience(answer.aud, resource, audience);
  if (typeof answer.exp === 'number' && answer.exp + leeway < now) throw new InvalidTokenError('the access token has expired');
  const { active: _active, token_type: _type, ...claims } = answer;
  return { iss: issuer, ...claims };
}
