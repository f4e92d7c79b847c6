import type { Handoff } from '../lock-backend.js';

/**
 * Reads a release notification: `""` for a plain release, `"<fencing token>:<expiry ms>:<owner>"`
 * when a fair release handed the lock over (written by `FAIR_FUNCTIONS_LUA`). Anything else is
 * treated as a plain release, which at worst costs the waiters one more attempt.
 */
export function parseHandoff(message: string): Handoff | undefined {
  const first = message.indexOf(':');
  const second = first < 0 ? -1 : message.indexOf(':', first + 1);
  if (second < 0) return undefined;
  const token = message.slice(0, first);
  const expiresAt = Number(message.slice(first + 1, second));
  if (!/^\d+$/.test(token) || !Number.isFinite(expiresAt)) return undefined;
  return { owner: message.slice(second + 1), fencingToken: BigInt(token), expiresAt };
}
