/**
 * Hooks are typed as returning nothing, yet an `async` one fits that type: its rejection would be
 * unhandled, and Node ends the process on an unhandled rejection. What a hook returns is therefore
 * given a rejection handler when it is a promise (or any thenable); the hook's failure is its own.
 */
function ignoreRejection(result: unknown): void {
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(undefined, () => undefined);
  }
}

/** Calls a hook for its side effect: a throw or a rejection of the hook changes nothing for the caller. */
export function callSafely(hook: () => unknown): void {
  try {
    ignoreRejection(hook());
  } catch {
    // The hook's own failure: the request goes on.
  }
}
