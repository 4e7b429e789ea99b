/**
 * Chain of custody (AU-2): from any token id (jti) or audit event, walk back through the audit
 * log to where the token came from — each exchange event names the subject token it consumed
 * (`subject_jti`), whose own issuance or exchange event names its subject, and so on to the
 * original issuance (authorization code, client credentials, jwt-bearer). Each hop reports who
 * acted (client, agent, actor chain), what was asked and granted, and whether it is still live.
 *
 * Our ID token as a subject (CO-1) is a hop too: the code or refresh issuance that signed it
 * records it as `data.id_token_jti` next to its access token's `data.jti`, and is found by it.
 */
import type { Storage } from '../storage/storage.ts';
import type { AuditEventRecord } from '../storage/records.ts';
import { dataString } from './chain.ts';

/** Events that issue a token recorded under `data.jti`. */
const ISSUING_EVENTS = ['token_exchanged', 'token_issued', 'token_refreshed'] as const;
/** Events that issue an ID token, recorded under `data.id_token_jti` (grants/shared/issue.ts). */
const ID_TOKEN_ISSUING_EVENTS = ['token_issued', 'token_refreshed'] as const;
/** A chain never has more hops than this (the exchange depth limit is far lower). */
const MAX_HOPS = 64;

export interface CustodyHop {
  jti: string | null;
  event: AuditEventRecord | null;
  /** The token this hop consumed (token exchange), when it had a jti. */
  subjectJti: string | null;
  /** Whether the token at this hop is revoked (itself or through its grant); null when unknown. */
  revoked: boolean | null;
}

export interface Custody {
  /** Newest first: the asked-for token, then the token it was exchanged from, back to the origin. */
  hops: CustodyHop[];
}

export async function custodyOfToken(storage: Storage, jti: string): Promise<Custody | null> {
  const first = await hopForJti(storage, jti);
  if (!first) return null;
  return { hops: await walkBack(storage, first) };
}

export async function custodyOfEvent(storage: Storage, eventId: string): Promise<Custody | null> {
  const event = await storage.audit.findById(eventId);
  if (!event) return null;
  const jti = dataString(event.data, 'jti');
  const first: CustodyHop = { jti, event, subjectJti: dataString(event.data, 'subject_jti'), revoked: jti ? await isRevoked(storage, jti) : null };
  return { hops: await walkBack(storage, first) };
}

async function walkBack(storage: Storage, first: CustodyHop): Promise<CustodyHop[]> {
  const hops = [first];
  const seen = new Set([first.jti]);
  let current = first;
  while (current.subjectJti !== null && !seen.has(current.subjectJti) && hops.length < MAX_HOPS) {
    seen.add(current.subjectJti);
    const previous = (await hopForJti(storage, current.subjectJti)) ?? { jti: current.subjectJti, event: null, subjectJti: null, revoked: null };
    hops.push(previous);
    current = previous;
  }
  return hops;
}

/**
 * The issuance event of a jti, by the indexed audit_events.jti column — also when the token's
 * row is gone (the maintenance sweep purges expired tokens). A jti is minted by exactly one
 * issuing event, so the oldest match is it. A jti no event issued as an access token may be our
 * ID token's: then the issuance that signed it, by the indexed id_token_jti column (migration
 * 0017), and the walk goes on from that event's own subject, if it has one. An ID token recorded
 * (id_tokens) whose issuance event does not name it — signed between migrations 0016 and 0017 —
 * is a hop with no event, like an access token with a row and no event.
 */
async function hopForJti(storage: Storage, jti: string): Promise<CustodyHop | null> {
  const record = await storage.accessTokens.get(jti);
  const found = await storage.audit.findIssuance(jti, ISSUING_EVENTS); // matched on the hashed data.jti
  if (found) {
    return { jti, event: found, subjectJti: dataString(found.data, 'subject_jti'), revoked: record ? await isRevoked(storage, jti) : null };
  }
  if (record) return { jti, event: null, subjectJti: null, revoked: await isRevoked(storage, jti) };
  const signedBy = await storage.audit.findIdTokenIssuance(jti, ID_TOKEN_ISSUING_EVENTS); // matched on the hashed data.id_token_jti
  if (signedBy) return { jti, event: signedBy, subjectJti: dataString(signedBy.data, 'subject_jti'), revoked: await isIdTokenRevoked(storage, jti) };
  const revoked = await isIdTokenRevoked(storage, jti);
  return revoked === null ? null : { jti, event: null, subjectJti: null, revoked };
}

async function isRevoked(storage: Storage, jti: string): Promise<boolean | null> {
  const record = await storage.accessTokens.get(jti);
  if (!record) return null;
  if (record.revokedAt !== null) return true;
  if (record.grantId === null) return false;
  const grant = await storage.grants.get(record.grantId);
  return grant === null || grant.revokedAt !== null;
}

/** An ID token is revoked only through its grant (CO-1); null once the sweep purged its row. */
async function isIdTokenRevoked(storage: Storage, jti: string): Promise<boolean | null> {
  const record = await storage.idTokens.get(jti);
  if (!record) return null;
  const grant = await storage.grants.get(record.grantId);
  return grant === null || grant.revokedAt !== null;
}
