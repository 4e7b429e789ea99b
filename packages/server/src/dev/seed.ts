/**
 * Development seed (issue 2: "Development mode seeds demo data from a file in the repository").
 * Reads packages/server/dev-seed.json and upserts its users and clients, so every `npm start`
 * finds the same demo state: a second start neither duplicates nor fails, and an edited seed
 * file is applied. main.ts calls this only in development mode; production refuses it.
 *
 * Storage rules hold for demo data too: passwords are scrypt-hashed, TOTP secrets encrypted with
 * MANDATE_SECRET_KEY (purpose 'totp'), client secrets stored as SHA-256.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ServerContext } from '../context.ts';
import { randomId } from '../crypto/hash.ts';
import { hashPassword, verifyPassword } from '../crypto/password.ts';
import type { UserRecord } from '../storage/records.ts';
import { upsertConfiguredClient } from '../clients/static.ts';

export interface SeedSummary {
  users: { email: string; password: string; totpSecret: string }[];
  clients: { clientId: string; description: string }[];
  dcrPolicy: string;
}

export const SEED_FILE = new URL('../../dev-seed.json', import.meta.url);

const SeedSchema = z.object({
  users: z.array(
    z.object({
      email: z.email(),
      name: z.string().min(1),
      password: z.string().min(12),
      totpSecret: z.string().regex(/^[A-Z2-7]{16,}$/, 'a base32 TOTP secret'),
      isAdmin: z.boolean().default(false),
    }),
  ),
  clients: z.array(z.object({ description: z.string(), metadata: z.record(z.string(), z.unknown()) })),
});
type SeedUser = z.output<typeof SeedSchema>['users'][number];

export async function readSeedFile(file: URL = SEED_FILE): Promise<z.output<typeof SeedSchema>> {
  const parsed = SeedSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file.pathname} is not a valid seed file: ${parsed.error.message}`);
  return parsed.data;
}

async function totpMatches(ctx: ServerContext, encrypted: string | null, secret: string): Promise<boolean> {
  if (encrypted === null) return false;
  try {
    return (await ctx.envelope.decrypt(encrypted, 'totp')) === secret;
  } catch {
    return false; // encrypted under another secret key (e.g. a deleted .mandate/secret.key): re-encrypt
  }
}

/** Creates the user, or brings an existing one (same email) back to the seed's values, keeping its id. */
async function upsertUser(ctx: ServerContext, seed: SeedUser): Promise<void> {
  const existing = await ctx.storage.users.getByEmail(seed.email);
  const t = ctx.now();
  if (!existing) {
    const user: UserRecord = {
      id: randomId('usr'),
      email: seed.email,
      name: seed.name,
      passwordHash: await hashPassword(seed.password),
      totpSecretEncrypted: await ctx.envelope.encrypt(seed.totpSecret, 'totp'),
      isAdmin: seed.isAdmin,
      disabled: false,
      createdAt: t,
      updatedAt: t,
    };
    await ctx.storage.users.create(user);
    return;
  }
  const [passwordOk, totpOk] = await Promise.all([
    existing.passwordHash ? verifyPassword(seed.password, existing.passwordHash) : Promise.resolve(false),
    totpMatches(ctx, existing.totpSecretEncrypted, seed.totpSecret),
  ]);
  if (passwordOk && totpOk && existing.name === seed.name && existing.isAdmin === seed.isAdmin) return;
  await ctx.storage.users.update({
    ...existing,
    name: seed.name,
    isAdmin: seed.isAdmin,
    passwordHash: passwordOk ? existing.passwordHash : await hashPassword(seed.password),
    totpSecretEncrypted: totpOk ? existing.totpSecretEncrypted : await ctx.envelope.encrypt(seed.totpSecret, 'totp'),
    updatedAt: t,
  });
}

export async function seedDevelopmentData(ctx: ServerContext): Promise<SeedSummary> {
  if (ctx.config.mode !== 'development') throw new Error('Development seeding is refused outside development mode.');
  const seed = await readSeedFile();
  await Promise.all(seed.users.map((u) => upsertUser(ctx, u)));
  for (const c of seed.clients) await upsertConfiguredClient(ctx, c.metadata);
  return {
    users: seed.users.map((u) => ({ email: u.email, password: u.password, totpSecret: u.totpSecret })),
    clients: seed.clients.map((c) => ({ clientId: String(c.metadata.client_id), description: c.description })),
    dcrPolicy: ctx.config.dcr.policy,
  };
}
