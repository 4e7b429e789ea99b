import { Acr } from '@mandate/protocol';
import type { AuthorizationCheck } from './check.ts';

const KNOWN_ACR: ReadonlySet<string> = new Set(Object.values(Acr));

/**
 * OIDC Core §3.1.2.1: acr_values is a space-delimited list of requested authentication context
 * classes, in order of preference. It is a voluntary request (§5.5.1.1): classes this server does
 * not define are ignored, and the `acr` claim of the ID token tells the client what was achieved.
 */
export const checkAcrValues: AuthorizationCheck = ({ params }, request) => {
  const raw = params.get('acr_values');
  if (raw === undefined) return;
  request.acrValues = [...new Set(raw.split(' ').filter((v) => KNOWN_ACR.has(v)))];
};
