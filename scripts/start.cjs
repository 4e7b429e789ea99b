'use strict';
// `npm start`: sizes libuv's thread pool first (thread-pool.cjs says why this must be CommonJS
// and come before anything else), then runs start.mjs, which builds and starts the server.
require('./thread-pool.cjs').sizeThreadPool();
import('./start.mjs').catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
