/**
 * `npm start`: the authorization server (embedded SQLite, development seed) and, next to it, the
 * demo MCP servers built with @mandate/mcp (examples/). Prints where to go.
 */
// First, before any import that feature-detects base64 at load (runtime/install.ts).
import '../packages/server/src/runtime/install.ts';
import { bannerLines, closeOnSignals, exitOnStartFailure, startFromEnvironment } from '../packages/server/src/start.ts';

try {
  const t0 = performance.now();
  const started = await startFromEnvironment();
  // The demos' modules (MCP SDK, Cedar's WebAssembly, Express) load only now, after the
  // authorization server listens: they are a third of the start-up's module loading, and the
  // authorization server does not need them to answer (start.mjs bundles them as a separate chunk).
  const demos =
    started.config.mode === 'development' && process.env.MANDATE_DEMOS !== '0'
      ? await (await import('../examples/start-demos.ts')).startDemoServers({ issuer: started.config.issuer, ctx: started.server.ctx })
      : null;
  const extra = demos
    ? [
        '',
        '  Demo MCP servers (see examples/README.md to connect an MCP client):',
        `    HR MCP server:   ${demos.urls.hr}`,
        `    CRM MCP server:  ${demos.urls.crm}`,
        `    CRM REST API:    ${demos.urls.crmApi}`,
      ]
    : [];
  process.stdout.write(bannerLines(started, Math.round(performance.now() - t0), extra).join('\n') + '\n');
  closeOnSignals(async () => {
    await demos?.close();
    await started.server.close();
  });
} catch (err) {
  exitOnStartFailure(err);
}
