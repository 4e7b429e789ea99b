/**
 * A software WebAuthn authenticator for HTTP-level tests (WebAuthn L3 §6): a P-256 key made with
 * node:crypto, `none` attestation, authenticator data and client data built byte for byte as a
 * browser + authenticator pair would, so the server's real verifier checks real signatures.
 * Every field a test wants to falsify (origin, RP ID, challenge, counter, flags) can be overridden.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encodeCbor, type Cbor } from './cbor.ts';

interface CreationOptionsJson {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
}
interface RequestOptionsJson {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
}

export interface Falsify {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** Signature counter to report (defaults to the authenticator's next value). */
  counter?: number;
  userVerified?: boolean;
  backupEligible?: boolean;
  backedUp?: boolean;
}

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

const b64u = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export class SoftwareAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  /** The user handle stored with the credential at registration (discoverable credential). */
  userHandle: string | null = null;
  counter = 0;

  constructor(
    readonly origin: string,
    private readonly options: { backupEligible?: boolean; backedUp?: boolean } = {},
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    // RFC 9053 §7.1.1 / RFC 8152 §13.1.1: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    return encodeCbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
  }

  private flags(f: Falsify, attested: boolean): number {
    let flags = FLAG.UP;
    if (f.userVerified ?? true) flags |= FLAG.UV;
    if (f.backupEligible ?? this.options.backupEligible ?? false) flags |= FLAG.BE;
    if (f.backedUp ?? this.options.backedUp ?? false) flags |= FLAG.BS;
    if (attested) flags |= FLAG.AT;
    return flags;
  }

  private authData(rpId: string, flags: number, counter: number, attested: Buffer | null): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter, 0);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');
  }

  /** navigator.credentials.create() + toJSON() (§5.1.3, §5.1.8). */
  register(options: CreationOptionsJson, f: Falsify = {}) {
    const rpId = f.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length, 0);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.coseKey()]);
    const authData = this.authData(rpId, this.flags(f, true), f.counter ?? this.counter, attested);
    const attestationObject = encodeCbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, Cbor>()],
        ['authData', authData],
      ]),
    );
    this.userHandle = options.user.id;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64u(this.clientData(f.type ?? 'webauthn.create', f.challenge ?? options.challenge, f.origin ?? this.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** navigator.credentials.get() + toJSON() (§5.1.4, §5.1.9); the counter advances unless falsified. */
  authenticate(options: RequestOptionsJson, f: Falsify = {}) {
    const rpId = f.rpId ?? options.rpId ?? new URL(this.origin).hostname;
    const counter = f.counter ?? ++this.counter;
    const authData = this.authData(rpId, this.flags(f, false), counter, null);
    const clientDataJSON = this.clientData(f.type ?? 'webauthn.get', f.challenge ?? options.challenge, f.origin ?? this.origin);
    // §6.3.3: the signature covers authenticatorData || SHA-256(clientDataJSON); ECDSA in DER.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(this.userHandle !== null ? { userHandle: this.userHandle } : {}),
      },
    };
  }
}
