/**
 * The authorization server's own signing keys (ServerContext.keys).
 *
 * Signing is on the hot path of every token response, so the active private key is decrypted and
 * imported into a CryptoKey once and jose signs with it directly. Verification accepts only keys
 * this server publishes (a local JWKS, rebuilt whenever the published set changes) and only their
 * algorithms: never `none`, never HMAC (RFC 8725 §3.1, §3.2).
 */
import { CompactSign, createLocalJWKSet, jwtVerify, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult } from 'jose';
import { InvalidTokenError } from '@mandate/protocol';
import type { SigningKeys } from '../context.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Storage } from '../storage/storage.ts';
import type { SigningKeyRecord } from '../storage/records.ts';
import { importPrivateKey, toPublicJwk, type SigningAlg } from './key-material.ts';
import { ensureActiveKey, KEY_RELOAD_INTERVAL, newestActive, publishedKeys, rotateKeys, type KeyLifecycle } from './rotation.ts';
import { VerifiedTokens } from './verified-tokens.ts';

/** At most one storage read per this many seconds is triggered by tokens carrying an unknown kid. */
export const UNKNOWN_KID_RELOAD_INTERVAL = 5;

/** How long a verification waits for that read before answering with the keys it has (ms). */
const UNKNOWN_KID_RELOAD_WAIT_MS = 2000;

/** jose errors that a key published since the last read would cure. */
const MAYBE_NEW_KEY = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JOSE_ALG_NOT_ALLOWED']);

export interface SigningKeysOptions {
  storage: Storage;
  envelope: Envelope;
  issuer: string;
  alg: SigningAlg;
  now: () => number;
  /** The longest lifetime of a token signed with these keys: how long a retired key stays published. */
  maxTokenTtl: number;
}

export async function createSigningKeys(opts: SigningKeysOptions): Promise<SigningKeys> {
  const keys = new StoredSigningKeys(opts);
  await keys.start();
  return keys;
}

interface ActiveKey {
  record: SigningKeyRecord;
  privateKey: CryptoKey;
}

type LocalJwks = ReturnType<typeof createLocalJWKSet>;

class StoredSigningKeys implements SigningKeys {
  private readonly lifecycle: KeyLifecycle;
  private active!: ActiveKey;
  /** Every record last read from storage; what is published is derived from it at each use. */
  private records: SigningKeyRecord[] = [];
  private publicJwks: JWK[] = [];
  private localJwks!: LocalJwks;
  private algs: string[] = [];
  /** Earliest publishUntil among published retired keys: the published set changes then. */
  private nextExpiry = Infinity;
  private loadedAt = 0;
  private unknownKidReloadAt = -Infinity;
  private reloading: Promise<void> | null = null;
  /** A token presented again is not checked again while nothing that decides its outcome changed. */
  private readonly verified = new VerifiedTokens();

  constructor(private readonly opts: SigningKeysOptions) {
    this.lifecycle = { storage: opts.storage, envelope: opts.envelope, alg: opts.alg, now: opts.now, maxTokenTtl: opts.maxTokenTtl };
  }

  async start(): Promise<void> {
    const generated = await ensureActiveKey(this.lifecycle);
    await this.load(generated ? { record: generated.record, privateKey: generated.privateKey } : null);
  }

  async sign(payload: JWTPayload, options: { typ: string }): Promise<string> {
    if (this.opts.now() - this.loadedAt >= KEY_RELOAD_INTERVAL) void this.reloadInBackground();
    const { record, privateKey } = this.active;
    const claims = payload.iss === undefined ? { ...payload, iss: this.opts.issuer } : payload;
    // jose's CompactSign over the serialized claims: the same bytes SignJWT produces (RFC 7519 §7.1:
    // the claims set is the JWS payload) without its per-token deep copy of the claims.
    return new CompactSign(jwtPayloadBytes(claims)).setProtectedHeader({ alg: record.alg, kid: record.kid, typ: options.typ }).sign(privateKey);
  }

  async verify(token: string, options: { typ?: string; audience?: string | string[] }): Promise<JWTVerifyResult> {
    try {
      return await this.verifyOnce(token, options);
    } catch (err) {
      // Another instance may have rotated (perhaps to a newly configured algorithm): read the key
      // table again, at most every few seconds, so a flood of tokens with made-up kids or algs
      // cannot turn into a flood of storage reads.
      if (MAYBE_NEW_KEY.has(errorCode(err) ?? '') && (await this.reloadForUnknownKid())) {
        try {
          return await this.verifyOnce(token, options);
        } catch (retryErr) {
          throw invalidToken(retryErr);
        }
      }
      throw invalidToken(err);
    }
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    this.refreshPublication();
    return { keys: this.publicJwks.map((k) => ({ ...k })) };
  }

  async rotate(): Promise<SigningKeyRecord> {
    const generated = await rotateKeys(this.lifecycle);
    await this.load({ record: generated.record, privateKey: generated.privateKey });
    return generated.record;
  }

  algorithms(): string[] {
    this.refreshPublication();
    return [...this.algs];
  }

  private async verifyOnce(token: string, options: { typ?: string; audience?: string | string[] }): Promise<JWTVerifyResult> {
    this.refreshPublication();
    const now = this.opts.now();
    const keySet = this.localJwks;
    const hit = this.verified.get(token, options, keySet, now);
    if (hit) return hit;
    const verifyOptions: JWTVerifyOptions = {
      issuer: this.opts.issuer,
      algorithms: this.algs,
      requiredClaims: ['exp', 'iat'],
      currentDate: new Date(now * 1000),
    };
    if (options.typ !== undefined) verifyOptions.typ = options.typ;
    if (options.audience !== undefined) verifyOptions.audience = options.audience;
    // Verified with the key set read above, so the remembered outcome belongs to exactly that set.
    return this.verified.remember(token, options, keySet, now, await jwtVerify(token, keySet, verifyOptions));
  }

  /**
   * Reads the key table and switches to its newest active key when it uses our algorithm
   * (an instance never signs with an algorithm its configuration did not choose).
   * `fresh` is a key this instance just generated, so it is not decrypted and imported again.
   */
  private async load(fresh: ActiveKey | null): Promise<void> {
    const now = this.opts.now();
    const records = await this.opts.storage.signingKeys.list();
    const candidate = newestActive(records.filter((r) => r.alg === this.opts.alg));
    if (fresh && (!candidate || candidate.kid === fresh.record.kid)) {
      this.active = fresh;
    } else if (candidate && candidate.kid !== this.active?.record.kid) {
      this.active = { record: candidate, privateKey: await importPrivateKey(candidate, this.opts.envelope) };
    } else if (!this.active) {
      throw new Error(`No active ${this.opts.alg} signing key in storage.`);
    }
    // Our own active key is always published, even if storage already calls it retired.
    this.records = records.some((r) => r.kid === this.active.record.kid) ? records : [this.active.record, ...records];
    this.loadedAt = now;
    this.rebuildPublication(now);
  }

  private reloadInBackground(): Promise<void> {
    // A failed background read keeps the current keys; the next sign after the interval tries again.
    this.reloading ??= this.load(null)
      .catch(() => {
        this.loadedAt = this.opts.now();
      })
      .finally(() => {
        this.reloading = null;
      });
    return this.reloading;
  }

  /**
   * Waits for a reload, but not forever: a caller verifying inside a SQLite transaction holds
   * the only connection, so the read would wait for that transaction, which waits for us.
   */
  private async reloadForUnknownKid(): Promise<boolean> {
    const now = this.opts.now();
    // A read already under way is joined (concurrent requests with the new kid share it).
    if (this.reloading === null) {
      if (now - this.unknownKidReloadAt < UNKNOWN_KID_RELOAD_INTERVAL) return false;
      this.unknownKidReloadAt = now;
    }
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, UNKNOWN_KID_RELOAD_WAIT_MS);
    });
    await Promise.race([this.reloadInBackground(), giveUp]);
    clearTimeout(timer);
    return true;
  }

  private refreshPublication(): void {
    const now = this.opts.now();
    if (now >= this.nextExpiry) this.rebuildPublication(now);
  }

  private rebuildPublication(now: number): void {
    const published = publishedKeys(this.records, now).filter((r) => r.kid !== this.active.record.kid);
    const ordered = [this.active.record, ...published];
    this.publicJwks = ordered.map((r) => toPublicJwk({ ...r.publicJwk, kid: r.kid, alg: r.alg, use: 'sig' }));
    this.localJwks = createLocalJWKSet({ keys: this.publicJwks });
    this.algs = [...new Set(ordered.map((r) => r.alg))];
    const expiries = published.map((r) => r.publishUntil ?? Infinity);
    this.nextExpiry = Math.min(Infinity, ...expiries);
  }
}

const UTF8 = new TextEncoder();

/** RFC 7519 §2 NumericDate: the time claims must be finite numbers (as jose's SignJWT insists). */
function jwtPayloadBytes(claims: JWTPayload): Uint8Array {
  for (const claim of ['iat', 'nbf', 'exp'] as const) {
    const value = claims[claim];
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError(`"${claim}" claim must be a finite number`);
  }
  return UTF8.encode(JSON.stringify(claims));
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** RFC 6750 §3.1 invalid_token; jose's stable error code goes to the log, not to the client. */
function invalidToken(err: unknown): InvalidTokenError {
  const code = errorCode(err) ?? 'ERR_UNKNOWN';
  const claim = typeof err === 'object' && err !== null && 'claim' in err && typeof err.claim === 'string' ? err.claim : undefined;
  return new InvalidTokenError(describe(code, claim), { detail: claim ? `${code} (${claim})` : code, cause: err });
}

function describe(code: string, claim: string | undefined): string {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired.';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `The token's "${claim ?? 'claims'}" is not acceptable here.`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token was not signed by this server.';
    default:
      return 'The token is malformed or uses an algorithm or type this server does not accept.';
  }
}
