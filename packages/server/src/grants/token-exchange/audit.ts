/**
 * AU-2: every exchange is recorded with the whole actor chain, requested vs granted scope and why
 * scope was narrowed — and every refusal with its reason and as much of the chain as was known.
 * audit/custody.ts walks these events back from a token to its origin.
 */
import { isOAuthError } from '@mandate/protocol';
import type { AuditLog, ServerContext } from '../../context.ts';
import type { TokenRequest } from '../types.ts';
import { nestActors, type Chain } from './act-chain.ts';

export const TokenExchangeAuditEvent = {
  Exchanged: 'token_exchanged',
  Refused: 'token_exchange_refused',
} as const;

export interface ExchangeAudit {
  userId: string | null;
  agentId: string | null;
  requestedScope: string | null;
  grantedScope: string;
  targets: string[];
  chain: Chain;
  profile: string;
  narrowed: string[];
  data: Record<string, unknown>;
}

export function auditExchange(audit: AuditLog, req: TokenRequest, entry: ExchangeAudit): Promise<void> {
  return audit.record({
    event: TokenExchangeAuditEvent.Exchanged,
    userId: entry.userId,
    clientId: req.client.clientId,
    agentId: entry.agentId,
    requestedScope: entry.requestedScope,
    grantedScope: entry.grantedScope,
    resource: entry.targets.join(' '),
    ip: req.ip,
    result: 'success',
    reason: entry.narrowed.length > 0 ? `scope narrowed: ${entry.narrowed.join('; ')}` : null,
    data: {
      grant_type: req.grantType,
      profile: entry.profile,
      principal: entry.chain.principal,
      act: nestActors(entry.chain.actors) ?? null,
      actors: entry.chain.actors.map((a) => a.sub),
      ...(req.dpop ? { dpop_jkt: req.dpop.jkt } : {}),
      ...entry.data,
    },
  });
}

/** What was known when the exchange was refused. */
export interface RefusalContext {
  userId: string | null;
  agentId: string | null;
  chain: Chain | null;
  subjectJti: string | null;
  requestedTokenType: string | null;
}

/** The refusal, with the chain so far. A failing audit write is logged; the client still gets its RFC error. */
export async function auditRefusal(ctx: ServerContext, req: TokenRequest, known: RefusalContext, err: unknown): Promise<void> {
  if (!isOAuthError(err)) return;
  try {
    await ctx.audit.record({
      event: TokenExchangeAuditEvent.Refused,
      userId: known.userId,
      clientId: req.client.clientId,
      agentId: known.agentId,
      requestedScope: bounded(req.params.get('scope') ?? null),
      resource: bounded([...req.params.getAll('resource'), ...req.params.getAll('audience')].join(' ') || null),
      ip: req.ip,
      result: 'failure',
      reason: bounded(`${err.error}: ${err.description}`),
      data: {
        grant_type: req.grantType,
        subject_token_type: bounded(req.params.get('subject_token_type') ?? null),
        actor_token_type: bounded(req.params.get('actor_token_type') ?? null),
        requested_token_type: known.requestedTokenType,
        subject_jti: known.subjectJti,
        principal: known.chain?.principal ?? null,
        actors: known.chain?.actors.map((a) => a.sub) ?? [],
      },
    });
  } catch (auditErr) {
    ctx.logger.error({ err: auditErr, event: TokenExchangeAuditEvent.Refused }, 'audit write failed');
  }
}

const MAX = 500;

function bounded(value: string | null): string | null {
  return value !== null && value.length > MAX ? `${value.slice(0, MAX)}…` : value;
}
