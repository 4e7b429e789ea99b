/**
 * Admin API: an oauth connection without provider metadata is refused by the vault itself
 * (connections.ts, the one place that checks it), as 400 invalid_request naming what is missing.
 */
import { describe, expect, it } from 'vitest';
import { useAdminApi } from '../admin/support.ts';

const api = useAdminApi();

describe('Admin API: oauth connection without provider', () => {
  it('400 invalid_request from the vault; nothing is stored', async () => {
    const res = await api.call('POST', '/vault/connections', { id: 'noprovider', display_name: 'TP', kind: 'oauth', client_secret: 's3cret' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_request');
    expect(res.json.error_description).toBe('Connection noprovider is an oauth connection: it needs provider metadata.');
    expect((await api.call('GET', '/vault/connections/noprovider')).status).toBe(404);
  });
});
