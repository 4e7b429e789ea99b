/**
 * The company's identity provider for the SSO tests: a real node-oidc-provider on loopback,
 * with Mandate registered as a confidential client. Accounts (and their claims) are set by the
 * test; its "login page" is a tiny custom interaction: the browser opens the interaction URL with
 * `?login=<account>` (or `?deny=1`) and is sent on, as if the user had signed in there. Consent is
 * pre-granted for Mandate (a first-party client of the company IdP), as a real IdP would do.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

export const IDP_CLIENT_ID = 'mandate-sso';
export const IDP_CLIENT_SECRET = 'company-idp-secret-0123456789abcdef';

export type AccountClaims = Record<string, unknown>;

/** The parts of node-oidc-provider used here (the package ships no types; bench/types declares only the constructor). */
interface InteractiveProvider extends Provider {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<unknown>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options: { mergeWithLastSubmission: boolean }): Promise<void>;
}
interface GrantLike {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface OidcContext {
  oidc: {
    client?: { clientId: string };
    session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    provider: { Grant: { new (init: { clientId: string; accountId: string }): GrantLike; find(id: string): Promise<GrantLike | undefined> } };
  };
}

export interface CompanyIdp {
  issuer: string;
  port: number;
  /** Creates or replaces an account; `sub` is the account id. */
  setAccount(sub: string, claims: AccountClaims): void;
  /** Registers Mandate's redirect URI (known once Mandate runs) and starts answering. */
  register(redirectUri: string): void;
  close(): Promise<void>;
}

export async function startCompanyIdp(): Promise<CompanyIdp> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'idp-es256' };
  const accounts = new Map<string, AccountClaims>();
  const http = createServer();
  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as { port: number }).port)));
  const issuer = `http://127.0.0.1:${port}`;

  const build = (redirectUri: string): InteractiveProvider =>
    new Provider(issuer, {
      clients: [
        {
          client_id: IDP_CLIENT_ID,
          client_secret: IDP_CLIENT_SECRET,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: [redirectUri],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [jwk] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: { acr: null, auth_time: null, sid: null, iss: null, openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups', 'department'] },
      acrValues: ['urn:company:pwd', 'urn:company:mfa'],
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      cookies: { keys: ['company-idp-cookie-key'] },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx: unknown, sub: string) => {
        const claims = accounts.get(sub);
        return claims ? { accountId: sub, claims: async () => ({ sub, ...claims }) } : undefined;
      },
      loadExistingGrant: async (ctx: OidcContext) => {
        const { oidc } = ctx;
        const existing = oidc.session?.grantIdFor(oidc.client!.clientId);
        if (existing) return oidc.provider.Grant.find(existing);
        const grant = new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
        grant.addOIDCScope('openid email profile groups');
        await grant.save();
        return grant;
      },
    }) as InteractiveProvider;

  let provider: InteractiveProvider | null = null;
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!provider) {
      res.statusCode = 503;
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', issuer);
    if (url.pathname.startsWith('/interaction/')) {
      void interact(provider, url, req, res);
      return;
    }
    void provider.callback()(req, res);
  });

  return {
    issuer,
    port,
    setAccount: (sub, claims) => accounts.set(sub, claims),
    register: (redirectUri) => {
      provider = build(redirectUri);
    },
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

async function interact(provider: InteractiveProvider, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await provider.interactionDetails(req, res);
    const login = url.searchParams.get('login');
    const acr = url.searchParams.get('acr') ?? 'urn:company:pwd';
    const result = url.searchParams.get('deny')
      ? { error: 'access_denied', error_description: 'The user refused' }
      : { login: { accountId: login ?? 'nobody', acr, amr: ['pwd'] } };
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
}
