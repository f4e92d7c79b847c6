import { ResultNotShareableError, SharedRunFailedError } from '../contract/errors.js';

/** The largest result a shared run stores by default: 1 MiB of JSON. */
export const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;

/** A shared run's outcome as it travels through the store (JSON). */
type Envelope =
  | { readonly ok: true; readonly value?: unknown }
  | {
      readonly ok: false;
      readonly name: string;
      readonly code?: string | number;
      readonly message: string;
    };

/**
 * A result as JSON for the store, with the value every caller of the run gets back (what
 * `JSON.parse` makes of it, so the caller that ran it sees what the others see).
 *
 * @throws {@link ResultNotShareableError} when it is not JSON or its JSON is over `maxBytes`.
 */
export function encodeResult(
  key: string,
  value: unknown,
  maxBytes: number,
): { encoded: string; shared: unknown } {
  let encoded: string;
  try {
    encoded = JSON.stringify({ ok: true, value } satisfies Envelope);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ResultNotShareableError(key, `is not JSON (${why})`, { cause: error });
  }
  const bytes = Buffer.byteLength(encoded);
  if (bytes > maxBytes) {
    throw new ResultNotShareableError(
      key,
      `is ${bytes} bytes of JSON, over the limit of ${maxBytes} (maxResultBytes)`,
    );
  }
  return { encoded, shared: (JSON.parse(encoded) as { value?: unknown }).value };
}

/** An error as JSON for the store: its name, code and message. */
export function encodeError(error: unknown): string {
  const failure: { name: string; message: string; code?: unknown } =
    error instanceof Error ? error : { name: 'Error', message: String(error) };
  const { code } = failure;
  return JSON.stringify({
    ok: false,
    name: failure.name,
    message: failure.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  } satisfies Envelope);
}

/** What a stored outcome gives a caller that shared the run. */
export type SharedResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SharedRunFailedError | ResultNotShareableError };

/** Reads back an outcome stored by {@link encodeResult} or {@link encodeError}. */
export function decodeOutcome(key: string, stored: string): SharedResult {
  const envelope = JSON.parse(stored) as Envelope;
  if (envelope.ok) return { ok: true, value: envelope.value };
  if (envelope.code === 'LOCK_RESULT_NOT_SHAREABLE') {
    const problem = envelope.message.replace(/^.*cannot be shared: it /, '');
    return { ok: false, error: new ResultNotShareableError(key, problem) };
  }
  return {
    ok: false,
    error: new SharedRunFailedError(key, envelope.name, envelope.code, envelope.message),
  };
}
