/**
 * Refresh tokens (RFC 6749 §1.5, §6; OAuth 2.1 §4.3): opaque 256-bit random strings handed to the
 * client once and stored only as SHA-256. Each use rotates the token (CL-2, AS-3): the successor
 * keeps the grant, the original scope and resources, the authentication context and the DPoP
 * binding; the predecessor is marked rotated, and presenting it again is reuse.
 * Lifetime: each token lives `ttl.refreshToken`, but never past its family's absolute end,
 * `ttl.refreshTokenAbsolute` after the family started (RFC 9700 §4.14.2, OAuth 2.1 §4.3): a client
 * that keeps refreshing cannot keep a grant alive for ever.
 */
import type { MandateConfig } from '../config/config.ts';
import type { ServerContext } from '../context.ts';
import type { Storage } from '../storage/storage.ts';
import type { RefreshTokenRecord } from '../storage/records.ts';
import { randomId, randomToken, sha256 } from '../crypto/hash.ts';

export type RefreshTokenInput = Omit<RefreshTokenRecord, 'tokenHash' | 'id' | 'createdAt' | 'expiresAt' | 'rotatedAt' | 'revokedAt'> & {
  /**
   * When the token's family began, epoch seconds: its grant's creation, or for an exchanged grant
   * its root user grant's (refresh-token/family-lifetime.ts). Not stored. Required, so no caller
   * restarts the absolute lifetime by leaving it out.
   */
  familyStartedAt: number;
};

export interface IssuedRefreshToken {
  /** The secret for the client; never stored, never logged. */
  token: string;
  record: RefreshTokenRecord;
}

/** Creates and stores a new refresh token: `ttl.refreshToken` from now, capped at the family's absolute end. */
export async function issueRefreshToken(ctx: Pick<ServerContext, 'storage' | 'config' | 'now'>, input: RefreshTokenInput): Promise<IssuedRefreshToken> {
  const { familyStartedAt, ...stored } = input;
  const token = randomToken();
  const now = ctx.now();
  const record: RefreshTokenRecord = {
    ...stored,
    tokenHash: sha256(token),
    id: randomId('rt'),
    createdAt: now,
    expiresAt: Math.min(now + ctx.config.ttl.refreshToken, refreshFamilyEnd(ctx.config, familyStartedAt)),
    rotatedAt: null,
    revokedAt: null,
  };
  await ctx.storage.refreshTokens.create(record);
  return { token, record };
}

/** When no token of a family started at `familyStartedAt` may be used any more (RFC 9700 §4.14.2). */
export function refreshFamilyEnd(config: Pick<MandateConfig, 'ttl'>, familyStartedAt: number): number {
  return familyStartedAt + config.ttl.refreshTokenAbsolute;
}

/**
 * The successor's inputs: same grant, same original scope (RFC 6749 §6: narrowing applies to the
 * access token only), same family start, so rotation never moves the family's absolute end.
 */
export function successorOf(previous: RefreshTokenRecord, dpopJkt: string | null, familyStartedAt: number): RefreshTokenInput {
  return {
    familyStartedAt,
    grantId: previous.grantId,
    clientId: previous.clientId,
    userId: previous.userId,
    scope: previous.scope,
    resources: previous.resources,
    authorizationDetails: previous.authorizationDetails,
    dpopJkt,
    authTime: previous.authTime,
    acr: previous.acr,
    amr: previous.amr,
    nonce: previous.nonce,
  };
}

export type RefreshTokenState = 'active' | 'rotated' | 'revoked' | 'expired';

export function refreshTokenState(record: RefreshTokenRecord, now: number): RefreshTokenState {
  if (record.revokedAt !== null) return 'revoked';
  if (record.rotatedAt !== null) return 'rotated';
  if (record.expiresAt <= now) return 'expired';
  return 'active';
}

/** Looks a presented refresh token up by its hash; null when unknown. */
export function findRefreshToken(storage: Storage, token: string): Promise<RefreshTokenRecord | null> {
  return storage.refreshTokens.get(sha256(token));
}
