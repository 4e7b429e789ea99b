/**
 * Encryption at rest for signing keys and TOTP secrets: compact JWE, `dir` + A256GCM, with the
 * 32-byte MANDATE_SECRET_KEY. A `purpose` is bound as additional authenticated data in the
 * protected header, so a ciphertext of one kind cannot be swapped in for another.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';

export class Envelope {
  private readonly key: Uint8Array;

  constructor(secretKeyBase64url: string) {
    const key = Buffer.from(secretKeyBase64url, 'base64url');
    if (key.length < 32) throw new Error('The secret key must be at least 32 bytes.');
    this.key = new Uint8Array(key.subarray(0, 32));
  }

  async encrypt(plaintext: string, purpose: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', purpose } as { alg: string; enc: string })
      .encrypt(this.key);
  }

  async decrypt(jwe: string, purpose: string): Promise<string> {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, this.key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    if ((protectedHeader as Record<string, unknown>).purpose !== purpose) throw new Error(`Ciphertext is not for ${purpose}.`);
    return new TextDecoder().decode(plaintext);
  }
}
