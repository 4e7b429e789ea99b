/**
 * POST /interaction/:id/totp — the second factor. Only reachable with the pending-login cookie of
 * this interaction (password already proven); failures count against the account and the IP like
 * password failures, and a code that already worked is refused (RFC 6238 §5.2).
 */
import type { Context } from 'hono';
import type { ServerContext } from '../../context.ts';
import { clientIp } from '../../http/client-ip.ts';
import type { Params } from '../../http/params.ts';
import { auditLoginFailure } from '../audit.ts';
import type { LoadedInteraction } from '../load.ts';
import { clearPendingLogin, readPendingLogin } from '../pending-login.ts';
import { seeOther } from '../respond.ts';
import type { LoginThrottle } from '../throttle.ts';
import { verifyTotp } from '../totp.ts';
import { interactionUrl } from '../urls.ts';
import { completeLogin } from './login.ts';
import { rateLimited } from './rate-limited.ts';

export async function postTotp(c: Context, ctx: ServerContext, throttle: LoginThrottle, loaded: LoadedInteraction, form: Params): Promise<Response> {
  const id = loaded.record.id;
  const ip = clientIp(c);
  const pending = await readPendingLogin(c, ctx, id);
  const user = pending ? await ctx.storage.users.get(pending.userId) : null;
  if (!user || user.disabled) {
    clearPendingLogin(c, ctx);
    return seeOther(c, `${interactionUrl(ctx, id)}?error=expired`);
  }

  const wait = throttle.retryAfter(user.email, ip);
  if (wait > 0) {
    await auditLoginFailure(ctx, { userId: user.id, clientId: loaded.request.clientId, ip, reason: 'rate_limited' });
    return rateLimited(c, wait);
  }

  const result = await verifyTotp(ctx, user, (form.get('totp') ?? '').replace(/\s/g, ''));
  if (result !== 'valid') {
    throttle.failed(user.email, ip);
    await auditLoginFailure(ctx, { userId: user.id, clientId: loaded.request.clientId, ip, reason: result === 'replayed' ? 'totp_replayed' : 'invalid_totp' });
    return seeOther(c, `${interactionUrl(ctx, id)}?error=${result === 'replayed' ? 'totp_reused' : 'totp'}`);
  }
  return completeLogin(c, ctx, throttle, loaded, user, ['pwd', 'otp']);
}
