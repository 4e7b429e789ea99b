/**
 * A real third-party OAuth server on loopback for the vault tests: node-oidc-provider issuing
 * access and refresh tokens through the authorization code flow (PKCE), with refresh-token
 * rotation switchable per test and RFC 7009 revocation. Its development interactions (login and
 * consent forms) are driven over HTTP by `authorize`, as a browser would.
 */
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'mandate-vault';
export const CLIENT_SECRET = 'vault-client-secret-0123456789abcdef';

export interface ThirdPartyProvider {
  issuer: string;
  /** `127.0.0.1:<port>`: what a Mandate server's federation.devAllowedHosts must name for its vault to reach it. */
  hostPort: string;
  redirectUri: string;
  /** Whether a refresh issues a new refresh token (and spends the old one). */
  setRotation(on: boolean): void;
  /** Holds the next token endpoint response after the provider produced it (a slow refresh); resolves, once held, with the function that sends it. */
  holdNextTokenResponse(): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * `extraRedirectUris`: more redirect URIs of the vault client (a Mandate server's /account/vault/callback);
 * `port`: a port chosen beforehand (test-server.ts freePort), when the Mandate server must name it first.
 */
export async function startThirdPartyProvider(options: { extraRedirectUris?: string[]; port?: number } = {}): Promise<ThirdPartyProvider> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'tp-es256' };
  const http: Server = createServer();
  const port = await new Promise<number>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
  const issuer = `http://127.0.0.1:${port}`;
  // Never served: the test reads the code from the provider's redirect.
  const redirectUri = 'http://127.0.0.1:1/vault/callback';
  let rotation = true;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [redirectUri, ...(options.extraRedirectUris ?? [])],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    scopes: ['openid', 'offline_access', 'repo'],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    cookies: { keys: ['vault-test-cookie-key'] },
    ttl: { AccessToken: 3600, RefreshToken: 14 * 24 * 3600, Grant: 14 * 24 * 3600, Session: 3600, Interaction: 600, AuthorizationCode: 60, IdToken: 3600 },
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => rotation,
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
  });
  let hold: ((send: () => void) => void) | null = null;
  provider.use(async (ctx, next) => {
    await next();
    const held = ctx.path === '/token' ? hold : null;
    if (!held) return;
    hold = null;
    await new Promise<void>((send) => held(send));
  });
  http.on('request', provider.callback());
  return {
    issuer,
    hostPort: `127.0.0.1:${port}`,
    redirectUri,
    setRotation: (on) => {
      rotation = on;
    },
    holdNextTokenResponse: () => new Promise((held) => (hold = (send) => held(send))),
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

/** Cookie jar of one browser. */
class Jar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Follows the authorization URL as a user would: logs in as `login`, consents, and returns the
 * query of the final redirect to the client (code, state, iss or error).
 */
export async function authorize(authorizationUrl: string, login: string): Promise<URLSearchParams> {
  const jar = new Jar();
  let url = authorizationUrl;
  let interactions = 0;
  for (let hop = 0; hop < 12; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    await response.text();
    const location = response.headers.get('location');
    if (!location) throw new Error(`authorize: no redirect from ${url} (status ${response.status})`);
    const next = new URL(location, url);
    if (!next.pathname.startsWith('/interaction/') && !next.pathname.startsWith('/auth')) return next.searchParams;
    if (next.pathname.startsWith('/interaction/')) {
      // The first interaction is the login form, the second the consent screen (devInteractions).
      const body = interactions++ === 0 ? new URLSearchParams({ prompt: 'login', login, password: 'any' }) : new URLSearchParams({ prompt: 'consent' });
      const submit = await fetch(next, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body });
      jar.store(submit);
      await submit.text();
      const resume = submit.headers.get('location');
      if (!resume) throw new Error(`authorize: interaction submit returned ${submit.status}`);
      url = new URL(resume, next).toString();
      continue;
    }
    url = next.toString();
  }
  throw new Error('authorize: too many redirects');
}
