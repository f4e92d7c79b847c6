import type { AcquireResult } from '../../contract/lease.js';

/**
 * Readers of the values Redis scripts answer with, shared by the scripts' reply parsers. Each
 * returns `undefined` for a value of another shape, which the parser turns into the script's
 * `RedisScriptReplyError`.
 */

/** A whole number (Lua numbers reach the client as integers). */
export function integer(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** A whole number sent as text ("-2", "1733312345123456"). */
export function integerText(value: unknown): number | undefined {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : undefined;
}

/** A fencing token: a whole number of 0 or more, as a number or as text. */
export function token(value: unknown): bigint | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  return typeof value === 'string' && /^\d+$/.test(value) ? BigInt(value) : undefined;
}

/**
 * A lock key's value, `"<fencing token>:<owner>"`, read as its owner and token; the token may be
 * followed by the mark of a lease that processes wait on (`"<token>!:<owner>"`, see
 * `LEASE_WAKE_MARK_BYTE`).
 */
export function lease(value: string): { owner: string; fencingToken: bigint } | undefined {
  const sep = value.indexOf(':');
  if (sep <= 0) return undefined;
  const fencingToken = token(value.slice(0, value.charCodeAt(sep - 1) === 33 ? sep - 1 : sep));
  return fencingToken === undefined ? undefined : { owner: value.slice(sep + 1), fencingToken };
}

/** `1` or `0` as `true` or `false`. */
export function flag(value: unknown): boolean | undefined {
  return value === 1 ? true : value === 0 ? false : undefined;
}

/** Every value of `values` read with `read`, or `undefined` when any is not of its shape. */
export function each<T>(
  values: readonly unknown[],
  read: (value: unknown) => T | undefined,
): T[] | undefined {
  const out: T[] = [];
  for (const value of values) {
    const item = read(value);
    if (item === undefined) return undefined;
    out.push(item);
  }
  return out;
}

/**
 * A batch script's per-item flags, where a batch of one is answered with that one value (an array
 * reply costs the server a table and the client an array, on every single-lock call).
 */
export function batchFlags(raw: unknown, count: number): boolean[] | undefined {
  const values = Array.isArray(raw) ? raw : count === 1 ? [raw] : undefined;
  if (values?.length !== count) return undefined;
  return each(values, flag);
}

/**
 * `{ nowMs, then per lease: 1 extended | 0 not held }`, read as each lease's new store-clock expiry
 * (`undefined` when not held).
 */
export function expiries(
  raw: unknown,
  leases: readonly { readonly ttlMs: number }[],
): (number | undefined)[] | undefined {
  if (!Array.isArray(raw) || raw.length !== leases.length + 1) return undefined;
  const nowMs = integer(raw[0]);
  const extended = each(raw.slice(1), flag);
  if (nowMs === undefined || !extended) return undefined;
  return leases.map((lease, i) => (extended[i] ? nowMs + lease.ttlMs : undefined));
}

/**
 * `{ nowMs, 1, fencing token }` or `{ nowMs, 0, ms until the lease frees }`, the reply of every
 * one-lease acquire script, read as the acquire's result.
 */
export function leaseReply(raw: unknown, ttlMs: number): AcquireResult | undefined {
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const nowMs = integer(raw[0]);
  if (nowMs === undefined) return undefined;
  if (raw[1] === 1) {
    const fencingToken = token(raw[2]);
    return fencingToken === undefined
      ? undefined
      : { acquired: true, fencingToken, expiresAt: nowMs + ttlMs };
  }
  const pttl = raw[1] === 0 ? integer(raw[2]) : undefined;
  return pttl === undefined ? undefined : missed(pttl);
}

/** A refusal with the holder's PTTL (`-1`/`-2`: no expiry known). */
export function missed(pttl: number): AcquireResult {
  return { acquired: false, retryAfterMs: pttl >= 0 ? pttl : undefined };
}
