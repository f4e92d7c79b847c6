import type { Handoff } from '../../contract/lock-backend.js';

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

/**
 * Reads a hand-off sent to a process's inbox: `"<token>:<expiry ms>:<owner length>:<owner><channel>"`,
 * where `channel` is the lock's release channel (whose waiters it is for). `undefined` when malformed.
 */
export function parseInboxMessage(
  message: string,
): { channel: string; handoff: Handoff } | undefined {
  // The owner's length is in bytes (Lua's #), so the owner is cut out of the UTF-8 bytes.
  const bytes = Buffer.from(message, 'utf8');
  const first = bytes.indexOf(0x3a);
  const second = first < 0 ? -1 : bytes.indexOf(0x3a, first + 1);
  const third = second < 0 ? -1 : bytes.indexOf(0x3a, second + 1);
  if (third < 0) return undefined;
  const length = Number(bytes.subarray(second + 1, third).toString('latin1'));
  if (!Number.isInteger(length) || length < 0 || third + 1 + length >= bytes.length) {
    return undefined;
  }
  const owner = bytes.subarray(third + 1, third + 1 + length).toString('utf8');
  const handoff = parseHandoff(`${bytes.subarray(0, second).toString('latin1')}:${owner}`);
  const channel = bytes.subarray(third + 1 + length).toString('utf8');
  return handoff ? { channel, handoff } : undefined;
}
