/**
 * This server as a WebAuthn Relying Party (WebAuthn L3 §5.1.3, §5.1.4). The RP ID is the
 * issuer's host name and the only accepted origin is the issuer's origin: a credential created
 * here is scoped by the browser to this host, so a look-alike site cannot ask for an assertion
 * that verifies here — that is what makes passkeys phishing-resistant (HU-1). An IP address is
 * not a valid RP ID (§5.1.2: a registrable domain suffix), so local setups use `localhost`.
 */
import type { ServerContext } from '../context.ts';

export interface RelyingParty {
  rpID: string;
  origin: string;
  rpName: string;
}

export function relyingParty(ctx: Pick<ServerContext, 'config'>): RelyingParty {
  const url = new URL(ctx.config.issuer);
  return { rpID: url.hostname, origin: url.origin, rpName: 'Mandate' };
}

/** WebAuthn L3 §5.1.3 step 7: ceremonies time out; the challenge lives exactly as long. */
export const CEREMONY_TIMEOUT_SECONDS = 300;
