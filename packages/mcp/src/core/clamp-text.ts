/**
 * Bounding free text we did not write (an exception message, a tool argument quoted in a reason)
 * before it is stored or sent: the audit wire form (audit/wire.ts) and tool authorization's deny
 * detail (tools/authorize.ts) both cut it, and mark the cut, the same way.
 */

export const TRUNCATION_MARK = '…[truncated]';

/** `value` cut to `max` code units, marked; never splits a surrogate pair. */
export function clampText(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = Math.max(0, max - TRUNCATION_MARK.length);
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate whose pair would be cut off
  return value.slice(0, end) + TRUNCATION_MARK;
}
