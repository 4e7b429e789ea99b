/**
 * One POST of an audit batch to the authorization server, authenticated as this resource server's
 * confidential client (RFC 6749 §2.3.1 HTTP Basic: id and secret form-urlencoded, then base64).
 */
export interface IngestCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * delivered: 200, every event recorded (or already recorded: idempotent).
 * rejected: 400, the batch is malformed and retrying cannot help.
 * unavailable / refused: the network failed, 5xx/429, or our credentials were refused (401/403) —
 * all worth retrying later (an operator can fix credentials without losing events).
 */
export type DeliveryOutcome = 'delivered' | 'rejected' | 'unavailable' | 'refused';

export function basicAuthorization(credentials: IngestCredentials): string {
  const id = encodeURIComponent(credentials.clientId);
  const secret = encodeURIComponent(credentials.clientSecret);
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

export async function postBatch(endpoint: string, credentials: IngestCredentials, events: Record<string, unknown>[], fetchImpl: typeof fetch): Promise<DeliveryOutcome> {
  const send = () =>
    fetchImpl(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuthorization(credentials) },
      body: JSON.stringify({ events }),
      signal: AbortSignal.timeout(10_000),
    });
  let res: Response;
  try {
    res = await send();
  } catch {
    // One immediate retry: a pooled keep-alive connection the AS closed (a restart) fails the first
    // attempt. Safe to resend: the AS records each idempotency key once.
    try {
      res = await send();
    } catch {
      return 'unavailable';
    }
  }
  await res.body?.cancel().catch(() => {});
  if (res.status === 200) return 'delivered';
  if (res.status === 400) return 'rejected';
  if (res.status === 401 || res.status === 403) return 'refused';
  return 'unavailable';
}
