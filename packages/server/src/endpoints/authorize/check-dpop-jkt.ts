import { readDpopJktParameter } from '../../dpop/jkt.ts';
import type { AuthorizationCheck } from './check.ts';

/**
 * RFC 9449 §10: `dpop_jkt` binds the authorization code to a DPoP key, so only a token request
 * proving that key can redeem it. A pushed request may also carry a DPoP proof (§10.1); PAR
 * reconciles the two before this value is stored.
 */
export const checkDpopJkt: AuthorizationCheck = ({ params }, request) => {
  request.dpopJkt = readDpopJktParameter(params);
};
