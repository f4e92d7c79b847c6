import { InvalidLockOptionsError } from '../contract/errors.js';
import type { LockBackend } from '../contract/lock-backend.js';
import type { LockMode } from '../contract/read-write-locks.js';
import { parseDuration } from './duration.js';
import type {
  LockDefaults,
  LockOptions,
  ResolvedLockDefaults,
  ResolvedLockOptions,
} from './lock-options.js';

/** The largest duration a Node timer and every store accept: 2^31 − 1 ms, about 24.8 days. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
/** Keys are stored verbatim; longer ones are refused rather than truncated or hashed. */
export const MAX_KEY_BYTES = 1024;
const MAX_PREFIX_BYTES = 256;
/** With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves. */
const LONE_SURROGATE = /\p{Cs}/u;

export const DEFAULT_TTL_MS = 30_000;
export const DEFAULT_WAIT_MS = 0;
export const DEFAULT_KEY_PREFIX = 'locker:';

function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/**
 * Checks a lock key: a non-empty, well-formed string without NUL, of at most {@link MAX_KEY_BYTES}
 * UTF-8 bytes.
 */
export function validateKey(key: unknown, where?: string): string {
  if (typeof key !== 'string') {
    throw new InvalidLockOptionsError(
      'key',
      `must be a string, got ${typeof key} ${show(key)}`,
      where,
    );
  }
  if (key.length === 0) throw new InvalidLockOptionsError('key', 'must not be empty', where);
  if (key.includes('\0')) {
    // Postgres text cannot hold NUL; refused everywhere so a key means the same on every backend.
    throw new InvalidLockOptionsError('key', 'must not contain the NUL character (\\0)', where);
  }
  if (LONE_SURROGATE.test(key)) {
    // A lone surrogate would be stored as U+FFFD, so two different keys would share one lock.
    throw new InvalidLockOptionsError(
      'key',
      'must be well-formed UTF-16 (it contains a lone surrogate)',
      where,
    );
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a key this short needs no count.
  const bytes = key.length * 3 <= MAX_KEY_BYTES ? 0 : Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidLockOptionsError(
      'key',
      `is ${bytes} bytes long; the maximum is ${MAX_KEY_BYTES} (hash long identifiers into the key)`,
      where,
    );
  }
  return key;
}

/**
 * Checks a `shareFor`: absent or `0` (no reuse, answered 0), else a time to live (see
 * {@link validateTtl}), in ms.
 */
export function validateShareFor(raw: unknown, where?: string): number {
  return raw === undefined || raw === 0 ? 0 : validateTtl(raw, 'shareFor', where);
}

/**
 * Checks a time to live: a positive whole number of ms up to {@link MAX_DURATION_MS}, or a
 * duration string (`'30s'`) worth that.
 */
export function validateTtl(raw: unknown, field = 'ttl', where?: string): number {
  const value = parseDuration(raw, field, where);
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value <= 0 ||
    value > MAX_DURATION_MS
  ) {
    throw new InvalidLockOptionsError(
      field,
      `must be a whole number of milliseconds from 1 to ${MAX_DURATION_MS} (or a duration such as '30s'), got ${show(raw)}`,
      where,
    );
  }
  return value;
}

/** Checks a wait: a duration from 0 to {@link MAX_DURATION_MS} ms, or `Infinity`. */
export function validateWait(raw: unknown, field = 'wait', where?: string): number {
  if (raw === Number.POSITIVE_INFINITY) return raw;
  return validateDelay(raw, field, where, ', or Infinity');
}

/**
 * Checks a duration that may be zero (`lockAtLeastFor`, `shutdownTimeout`): a whole number of ms
 * from 0 to {@link MAX_DURATION_MS}, or a duration string worth that.
 */
export function validateDelay(raw: unknown, field: string, where?: string, also = ''): number {
  const value = parseDuration(raw, field, where);
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 0 ||
    value > MAX_DURATION_MS
  ) {
    throw new InvalidLockOptionsError(
      field,
      `must be a whole number of milliseconds from 0 to ${MAX_DURATION_MS} (or a duration such as '5s')${also}, got ${show(raw)}`,
      where,
    );
  }
  return value;
}

/** Checks the key prefix: a string (possibly empty) of at most 256 UTF-8 bytes. */
export function validateKeyPrefix(value: unknown): string {
  if (typeof value !== 'string' || Buffer.byteLength(value) > MAX_PREFIX_BYTES) {
    throw new InvalidLockOptionsError(
      'keyPrefix',
      `must be a string of at most ${MAX_PREFIX_BYTES} bytes, got ${show(value)}`,
    );
  }
  return value;
}

/**
 * Validates manager defaults and fills in the library's own. The library's default ttl (30 s)
 * gives way to a backend that cannot promise that long (`maxTtlMs`); a ttl given is kept as given
 * (and refused by {@link checkTtlLimit} when too long).
 */
export function resolveDefaults(
  defaults: LockDefaults | undefined,
  maxTtlMs = Number.POSITIVE_INFINITY,
): ResolvedLockDefaults {
  if (defaults !== undefined && (typeof defaults !== 'object' || defaults === null)) {
    throw new InvalidLockOptionsError('defaults', `must be an object, got ${show(defaults)}`);
  }
  return {
    ttl:
      defaults?.ttl === undefined
        ? Math.min(DEFAULT_TTL_MS, maxTtlMs)
        : validateTtl(defaults.ttl, 'defaults.ttl'),
    wait:
      defaults?.wait === undefined ? DEFAULT_WAIT_MS : validateWait(defaults.wait, 'defaults.wait'),
    fair: defaults?.fair === undefined ? false : validateBoolean(defaults.fair, 'defaults.fair'),
  };
}

/**
 * Refuses a ttl longer than `backend` can promise a lease ({@link LockBackend.maxTtlMs}).
 *
 * @throws {@link InvalidLockOptionsError}
 */
export function checkTtlLimit(
  ttlMs: number,
  backend: Pick<LockBackend, 'name' | 'maxTtlMs'>,
  field = 'ttl',
  where?: string,
): number {
  const limit = backend.maxTtlMs;
  if (limit !== undefined && ttlMs > limit) {
    throw new InvalidLockOptionsError(
      field,
      `is ${ttlMs} ms, longer than the ${backend.name} backend can promise a lease (its maxTtlMs, ${limit} ms): a shorter ttl holds the lock as long as you need, renewed while the holder runs`,
      where,
    );
  }
  return ttlMs;
}

/**
 * The ttl `backend` really keeps a lease for when asked for `ttlMs` ({@link
 * LockBackend.effectiveTtlMs}): `ttlMs` itself for a store that keeps any ttl.
 */
export function effectiveTtl(backend: Pick<LockBackend, 'effectiveTtlMs'>, ttlMs: number): number {
  const effective = backend.effectiveTtlMs?.(ttlMs);
  return effective !== undefined && effective > ttlMs ? effective : ttlMs;
}

/** Validates per-lock options against the defaults. `where` names the call site in errors. */
export function resolveLockOptions(
  options: LockOptions | undefined,
  defaults: ResolvedLockDefaults,
  where?: string,
): ResolvedLockOptions {
  if (options === undefined) {
    return {
      ttlMs: defaults.ttl,
      waitMs: defaults.wait,
      autoRenew: true,
      signal: undefined,
      fair: undefined,
      permits: 1,
      mode: undefined,
    };
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidLockOptionsError('options', `must be an object, got ${show(options)}`, where);
  }
  const { ttl, wait, autoRenew, signal, fair, permits, mode } = options;
  if (autoRenew !== undefined) validateBoolean(autoRenew, 'autoRenew', where);
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidLockOptionsError('signal', 'must be an AbortSignal', where);
  }
  return {
    ttlMs: ttl === undefined ? defaults.ttl : validateTtl(ttl, 'ttl', where),
    waitMs: wait === undefined ? defaults.wait : validateWait(wait, 'wait', where),
    autoRenew: autoRenew ?? true,
    signal,
    fair: fair === undefined ? undefined : validateBoolean(fair, 'fair', where),
    permits: permits === undefined ? 1 : validatePermits(permits, where),
    mode: mode === undefined ? undefined : validateMode(mode, where),
  };
}

/** Checks a read-write lock's mode: `'read'` or `'write'`. */
export function validateMode(value: unknown, where?: string): LockMode {
  if (value !== 'read' && value !== 'write') {
    throw new InvalidLockOptionsError(
      'mode',
      `must be 'read' or 'write', got ${show(value)}`,
      where,
    );
  }
  return value;
}

/** Checks a flag: `true` or `false`. */
export function validateBoolean(value: unknown, field: string, where?: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidLockOptionsError(field, `must be a boolean, got ${show(value)}`, where);
  }
  return value;
}

/** The most permits a semaphore may have. */
export const MAX_PERMITS = 1_000_000;

/** Checks a semaphore's size: a whole number from 1 to {@link MAX_PERMITS}. */
export function validatePermits(value: unknown, where?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PERMITS) {
    throw new InvalidLockOptionsError(
      'permits',
      `must be a whole number from 1 to ${MAX_PERMITS}, got ${show(value)}`,
      where,
    );
  }
  return value;
}

/** The most keys one multi-key lock may take. */
export const MAX_KEYS = 64;

/**
 * Checks the keys of a lock: one key, or an array of 1 to {@link MAX_KEYS} keys. Returns them
 * distinct and sorted, the order every backend takes them in.
 */
export function validateKeys(key: unknown, where?: string): readonly string[] {
  if (!Array.isArray(key)) return [validateKey(key, where)];
  if (key.length === 0 || key.length > MAX_KEYS) {
    throw new InvalidLockOptionsError(
      'key',
      `an array of keys must hold 1 to ${MAX_KEYS} keys, got ${key.length}`,
      where,
    );
  }
  const keys = [...new Set(key.map((each: unknown) => validateKey(each, where)))];
  // Code-unit order: the same on every platform and locale.
  return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
