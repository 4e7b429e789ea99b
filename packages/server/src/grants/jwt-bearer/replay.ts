/**
 * RFC 7523 §3 (7): "The authorization server MAY ensure that JWTs are not replayed by maintaining
 * the set of used jti values for the length of time for which the JWT would be considered valid";
 * the ID-JAG draft requires it. Keyed by issuer and jti (jti values are unique per issuer only),
 * kept until the assertion's exp (plus leeway) has passed for good.
 */
import { InvalidGrantError } from '@mandate/protocol';
import type { JWTPayload } from 'jose';
import type { ServerContext } from '../../context.ts';
import { ASSERTION_LEEWAY } from './verify.ts';

const MAX_JTI_LENGTH = 256;

export async function checkAssertionReplay(ctx: ServerContext, namespace: 'jwt_bearer' | 'id_jag', payload: JWTPayload): Promise<void> {
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw new InvalidGrantError(`The assertion "jti" must be a string of 1 to ${MAX_JTI_LENGTH} characters (RFC 7523 §3 (7)).`);
  }
  const first = await ctx.storage.replay.remember(namespace, `${payload.iss as string}\n${jti}`, (payload.exp as number) + ASSERTION_LEEWAY, ctx.now());
  if (!first) throw new InvalidGrantError('The assertion has already been used (jti replay): an assertion grants one token request (RFC 7523 §3 (7)).');
}
