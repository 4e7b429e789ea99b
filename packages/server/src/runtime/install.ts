/**
 * Side-effect module: installs the base64 builtins (base64-builtins.ts) when imported. The entry
 * points (src/main.ts, scripts/start.ts) import it first, before any other module: oauth4webapi
 * and @scure/base check for `Uint8Array.prototype.toBase64` once, when they load, so installing
 * later (createServerContext) is too late for them. createServerContext still installs too
 * (idempotent) for embedders and tests that never run an entry point.
 */
import { installBase64Builtins } from './base64-builtins.ts';

installBase64Builtins();
