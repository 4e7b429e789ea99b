/**
 * RFC 7662 token introspection, for opaque tokens (or every token, in introspection-only mode).
 * The resource server authenticates as a confidential client (§2.1, HTTP Basic per RFC 6749
 * §2.3.1). Answers are cached briefly by token hash, never longer than the token lives; an
 * unreachable AS fails closed (TS-1): 503, never "active".
 */
import { createHash } from 'node:crypto';
import { InvalidTokenError, TemporarilyUnavailableError } from '../core/errors.ts';
import type { FetchLike, MetadataCache } from './discovery.ts';

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
    const key = createHash('sha256').update(token).digest('base64url');
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
    this.cache.delete(createHash('sha256').update(token).digest('base64url'));
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
      throw new TemporarilyUnavailableError(`token introspection is unavailable: ${(err as Error).message}`);
    }
    if (!res.ok) throw new TemporarilyUnavailableError(`token introspection failed: HTTP ${res.status}`);
    const body = (await res.json()) as IntrospectionResponse;
    if (typeof body.active !== 'boolean') throw new TemporarilyUnavailableError('token introspection returned no active member');
    return body;
  }
}

/** §2.2 answer → claims this resource server accepts: active, our issuer, our audience, not expired. */
export function claimsFromIntrospection(answer: IntrospectionResponse, issuer: string, resource: string, now: number, leeway: number): Record<string, unknown> {
  if (!answer.active) throw new InvalidTokenError('the access token is not active');
  if (answer.iss !== undefined && answer.iss !== issuer) throw new InvalidTokenError('the access token was not issued by the expected authorization server');
  const aud = typeof answer.aud === 'string' ? [answer.aud] : Array.isArray(answer.aud) ? answer.aud : [];
  if (!aud.includes(resource)) throw new InvalidTokenError('the access token was not issued for this resource');
  if (typeof answer.exp === 'number' && answer.exp + leeway < now) throw new InvalidTokenError('the access token has expired');
  const { active: _active, token_type: _type, ...claims } = answer;
  return { iss: issuer, ...claims };
}
