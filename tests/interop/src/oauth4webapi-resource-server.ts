/**
 * A resource server whose only token check is oauth4webapi's `validateJwtAccessToken`
 * (RFC 6750 + RFC 9068 + RFC 9449): it answers 200 with the validated claims, or 401 with the
 * library's error code. Used to prove that a strict third-party validator accepts our tokens.
 */
import { serve, type ServerType } from '@hono/node-server';
import { closeServer } from './close-server.ts';
import * as oauth from 'oauth4webapi';

export interface Oauth4webapiResourceServer {
  /** The resource indicator it expects in `aud`: http://127.0.0.1:<port>/api */
  resource: string;
  close(): Promise<void>;
}

export async function discoverWithOauth4webapi(issuer: string): Promise<oauth.AuthorizationServer> {
  const issuerUrl = new URL(issuer);
  const response = await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
  return oauth.processDiscoveryResponse(issuerUrl, response);
}

export async function startOauth4webapiResourceServer(as: oauth.AuthorizationServer): Promise<Oauth4webapiResourceServer> {
  let resource = '';
  const server: ServerType = await new Promise((resolve) => {
    const s = serve(
      {
        hostname: '127.0.0.1',
        port: 0,
        fetch: async (request) => {
          try {
            const claims = await oauth.validateJwtAccessToken(as, request, resource, { [oauth.allowInsecureRequests]: true });
            return Response.json(claims);
          } catch (err) {
            const e = err as { code?: string; message?: string; cause?: unknown };
            return Response.json({ code: e.code ?? 'error', message: e.message ?? String(err) }, { status: 401 });
          }
        },
      },
      (info) => {
        resource = `http://127.0.0.1:${info.port}/api`;
        resolve(s);
      },
    );
  });
  return {
    get resource() {
      return resource;
    },
    close: () => closeServer(server),
  };
}
