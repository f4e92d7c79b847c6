import { LockBackendError } from '../../contract/errors.js';

/**
 * A Lua script answered with a reply of a shape it never returns (a proxy in between, a script of
 * another version cached under the same name ...). A `LockBackendError` (code
 * `LOCK_BACKEND_ERROR`) that names the script: the outcome of the call is unknown, never read as
 * "not acquired".
 *
 * @example
 * ```ts
 * if (error instanceof LockBackendError) log.error(error.message); // ... "fair-acquire" script ...
 * ```
 */
export class RedisScriptReplyError extends LockBackendError {
  constructor(
    backend: string,
    /** The script's name, such as `"fair-acquire"`. */
    readonly script: string,
    /** The reply as it came. */
    readonly reply: unknown,
    /** What the script returns, as its TSDoc says. */
    expected: string,
  ) {
    super(
      backend,
      `read the reply of the "${script}" script`,
      undefined,
      `expected ${expected}, got ${preview(reply)}`,
    );
  }
}

/** A short rendering of a reply for the message. */
function preview(reply: unknown): string {
  const text = JSON.stringify(reply, (_key, value: unknown) =>
    typeof value === 'bigint' ? String(value) : value,
  );
  const shown = text === undefined ? String(reply) : text;
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
