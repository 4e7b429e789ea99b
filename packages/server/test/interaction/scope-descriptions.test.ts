import { describe, expect, it } from 'vitest';
import { describeScope } from '../../src/interaction/pages/scope-descriptions.ts';
import { ACCOUNT_SCOPE, AGENTS_SCOPE } from '../../src/endpoints/paths.ts';

describe('consent page: plain-language scope descriptions', () => {
  it("describes Mandate's user scopes (mandate:agents, mandate:account) instead of showing raw names", () => {
    expect(describeScope(AGENTS_SCOPE)).toBe('Manage your AI agents: create, change, suspend and reactivate them');
    expect(describeScope(ACCOUNT_SCOPE)).toBe('See and end your sign-in sessions and the apps you have allowed');
    for (const scope of [AGENTS_SCOPE, ACCOUNT_SCOPE]) expect(describeScope(scope)).not.toContain(scope);
  });

  it('still shows an unknown scope by name', () => {
    expect(describeScope('weather:read')).toBe('Use the permission “weather:read”');
  });
});
