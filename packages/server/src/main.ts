/**
 * The authorization server alone: `npm start -w @mandate/server`. The repository's `npm start`
 * (scripts/start.ts) runs it together with the demo MCP servers.
 */
// First, before any import that feature-detects base64 at load (runtime/install.ts).
import './runtime/install.ts';
import { bannerLines, closeOnSignals, exitOnStartFailure, startFromEnvironment } from './start.ts';

try {
  const t0 = performance.now();
  const started = await startFromEnvironment();
  process.stdout.write(bannerLines(started, Math.round(performance.now() - t0)).join('\n') + '\n');
  closeOnSignals(() => started.server.close());
} catch (err) {
  exitOnStartFailure(err);
}
