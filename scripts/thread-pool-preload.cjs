'use strict';
// `node -r scripts/thread-pool-preload.cjs …`: sizes libuv's thread pool (thread-pool.cjs) before
// any ES module or loader hook runs; used by `npm start -w @mandate/server`, which runs main.ts
// through tsx without start.cjs.
require('./thread-pool.cjs').sizeThreadPool();
