/** The little of node-oidc-provider's API the bench and the test providers use (the package ships no types). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** Koa middleware (the provider is a Koa application). */
    use(middleware: (ctx: { path: string }, next: () => Promise<void>) => Promise<void>): this;
  }
}
