/**
 * Every migration, in order, as plain objects: nothing is discovered on disk at runtime, so
 * the set a server runs is exactly the set it was built with. Names sort lexically; append new
 * ones with the next number and never edit one that has shipped.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { StorageKind } from '../context.ts';
import { initialMigration } from './0001-initial.ts';
import { agentsMigration } from './0002-agents.ts';
import { passkeysMigration } from './0003-passkeys.ts';
import { grantDelegationMigration } from './0004-grant-delegation.ts';
import { vaultMigration } from './0005-vault.ts';
import { scimMigration } from './0006-scim.ts';
import { upstreamIdentitiesMigration } from './0007-upstream-identities.ts';
import { totpEnrollmentsMigration } from './0008-totp-enrollments.ts';
import { auditJtiMigration } from './0009-audit-jti.ts';
import { expiryIndexesMigration } from './0010-expiry-indexes.ts';
import { codeRedirectUriSentMigration } from './0011-code-redirect-uri-sent.ts';
import { agentSuspendedByMigration } from './0012-agent-suspended-by.ts';
import { grantSessionsMigration } from './0013-grant-sessions.ts';
import { sessionHandlesGrantlessIndexesMigration } from './0014-session-handles-grantless-indexes.ts';
import { dropSessionsUserIdMigration } from './0015-drop-sessions-user-id.ts';
import { tokenLineageMigration } from './0016-token-lineage.ts';
import { auditIdTokenJtiMigration } from './0017-audit-id-token-jti.ts';

export function migrationProvider(kind: StorageKind): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-initial': initialMigration(kind),
    '0002-agents': agentsMigration(kind),
    '0003-passkeys': passkeysMigration(),
    '0004-grant-delegation': grantDelegationMigration(),
    '0005-vault': vaultMigration(),
    '0006-scim': scimMigration(),
    '0007-upstream-identities': upstreamIdentitiesMigration(),
    '0008-totp-enrollments': totpEnrollmentsMigration(),
    '0009-audit-jti': auditJtiMigration(),
    '0010-expiry-indexes': expiryIndexesMigration(),
    '0011-code-redirect-uri-sent': codeRedirectUriSentMigration(kind),
    '0012-agent-suspended-by': agentSuspendedByMigration(kind),
    '0013-grant-sessions': grantSessionsMigration(kind),
    '0014-session-handles-grantless-indexes': sessionHandlesGrantlessIndexesMigration(kind),
    '0015-drop-sessions-user-id': dropSessionsUserIdMigration(),
    '0016-token-lineage': tokenLineageMigration(kind),
    '0017-audit-id-token-jti': auditIdTokenJtiMigration(kind),
  };
  return { getMigrations: async () => migrations };
}
