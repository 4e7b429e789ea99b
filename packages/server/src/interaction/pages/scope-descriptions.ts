/** Plain-language descriptions of scopes for the consent page; unknown scopes are shown by name. */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Confirm who you are (sign you in)',
  profile: 'See your name and basic profile',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using it (refresh tokens)',
  'mcp:tools': 'Call tools on the MCP servers you connect it to',
  'mcp:resources': 'Read resources from the MCP servers you connect it to',
  'mandate:admin': 'Administer this Mandate server: clients, users, consents and keys',
  'mandate:agents': 'Manage your AI agents: create, change, suspend and reactivate them',
  'mandate:account': 'See and end your sign-in sessions and the apps you have allowed',
};

export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? `Use the permission “${scope}”`;
}
