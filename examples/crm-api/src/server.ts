/**
 * The demo CRM REST API: a plain resource server that validates its own tokens with jose —
 * signature against the AS's JWKS, `typ: at+jwt`, `iss`, and `aud` equal to its own URI exactly
 * (RFC 9068 §4). It sees only exchanged tokens: the CRM MCP server never forwards the token it got
 * (PASS-1), so a token issued for the MCP server is refused here.
 */
import { Hono, type Context } from 'hono';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface CrmApiOptions {
  issuer: string;
  /** This API's canonical URI (its audience), e.g. http://localhost:4412/api. */
  audience: string;
  /** The AS's JWKS URL; default `<issuer>/jwks.json`. */
  jwksUri?: string;
}

export interface Account {
  id: string;
  name: string;
  owner: string;
  stage: 'lead' | 'qualified' | 'won';
  value: number;
}

const ACCOUNTS: Account[] = [
  { id: 'acc-1', name: 'Acme Corp', owner: 'bob@example.com', stage: 'qualified', value: 120_000 },
  { id: 'acc-2', name: 'Globex', owner: 'bob@example.com', stage: 'lead', value: 45_000 },
  { id: 'acc-3', name: 'Initech', owner: 'alice@example.com', stage: 'won', value: 300_000 },
];

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export function createCrmApi(options: CrmApiOptions): Hono {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${options.issuer}/jwks.json`));
  const path = new URL(options.audience).pathname.replace(/\/+$/, '');
  const app = new Hono();

  async function verify(c: Context, scope: string): Promise<JWTPayload | Response> {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    const challenge = (error: string, description: string) => `Bearer error="${error}", error_description="${description}", scope="${scope}"`;
    if (!match) return c.json({ error: 'invalid_token' }, 401, { 'WWW-Authenticate': `Bearer scope="${scope}"` });
    try {
      const { payload } = await jwtVerify(match[1] as string, jwks, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt', algorithms: ALGORITHMS, clockTolerance: 30 });
      // RFC 9068 §2.2.1: exact audience — a token naming several audiences could be replayed elsewhere.
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (aud.length !== 1) return c.json({ error: 'invalid_token' }, 401, { 'WWW-Authenticate': challenge('invalid_token', 'token must be for this API only') });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
      if (!scopes.includes(scope)) return c.json({ error: 'insufficient_scope' }, 403, { 'WWW-Authenticate': challenge('insufficient_scope', `needs ${scope}`) });
      return payload;
    } catch (err) {
      return c.json({ error: 'invalid_token' }, 401, { 'WWW-Authenticate': challenge('invalid_token', (err as Error).message.replace(/"/g, "'")) });
    }
  }

  app.get(`${path}/accounts`, async (c) => {
    const result = await verify(c, 'crm:read');
    if (result instanceof Response) return result;
    // Who called, as the token says: the user (sub) and the actors that brought the request here.
    return c.json({ accounts: ACCOUNTS, caller: { sub: result.sub, client_id: result.client_id, act: result.act ?? null } });
  });
  return app;
}
