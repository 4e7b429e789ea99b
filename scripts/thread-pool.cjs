'use strict';
/**
 * The size of libuv's thread pool for Mandate's processes. jose signs and verifies through
 * WebCrypto, which runs every ECDSA operation on that pool. libuv starts 4 threads by default;
 * on a machine with fewer cores, the threads woken for each signature preempt the event loop,
 * which is where the rest of every request runs. On a 2-core machine, 2 threads gave +12 %
 * token exchanges/s and -11 % CPU per exchange against 4 (docs/benchmarks.md, "Thread pool").
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool is first used, and an ES module entry point
 * has used it before its first line runs (Node reads module files through the pool). So this is
 * CommonJS, required by CommonJS launchers (start.cjs) before anything else happens.
 */
const { availableParallelism } = require('node:os');

/** As many threads as cores, never more than libuv's default of 4. */
function threadPoolSize() {
  return Math.min(4, availableParallelism());
}

/** Sets UV_THREADPOOL_SIZE unless the operator already did; returns the value in effect. */
function sizeThreadPool(env = process.env) {
  if (env.UV_THREADPOOL_SIZE === undefined || env.UV_THREADPOOL_SIZE === '') env.UV_THREADPOOL_SIZE = String(threadPoolSize());
  return env.UV_THREADPOOL_SIZE;
}

module.exports = { threadPoolSize, sizeThreadPool };
