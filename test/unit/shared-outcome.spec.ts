import { describe, expect, it } from '@jest/globals';
import { ResultNotShareableError, SharedRunFailedError } from '../../lib/index.js';
import { decodeOutcome, encodeError, encodeResult } from '../../lib/manager/shared-outcome.js';

class Coded extends Error {
  readonly code = 42;
}

describe('shared run outcomes', () => {
  it('gives every caller, the runner too, what JSON gives back', () => {
    const { encoded, shared } = encodeResult(
      'k',
      { at: new Date(0), n: 1, gone: undefined },
      1_000,
    );
    expect(shared).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    expect(decodeOutcome('k', encoded)).toEqual({ ok: true, value: shared });
    const none = encodeResult('k', undefined, 1_000);
    expect(none.shared).toBeUndefined();
    expect(decodeOutcome('k', none.encoded)).toEqual({ ok: true, value: undefined });
  });

  it('refuses a value that is not JSON, or too long, naming the problem', () => {
    const circular: { self?: unknown } = {};
    circular.self = circular;
    for (const value of [10n, circular]) {
      const error = (() => {
        try {
          encodeResult('k', value, 1_000);
        } catch (e) {
          return e;
        }
      })() as ResultNotShareableError;
      expect(error).toBeInstanceOf(ResultNotShareableError);
      expect(error.message).toMatch(/cannot be shared: it is not JSON/);
    }
    expect(() => encodeResult('k', 'x'.repeat(100), 50)).toThrow(
      /is 122 bytes of JSON, over the limit of 50 \(maxResultBytes\)/,
    );
  });

  it('turns a failure into SharedRunFailedError with its name, code and message', () => {
    const decoded = decodeOutcome('k', encodeError(new Coded('down')));
    expect(decoded.ok).toBe(false);
    const error = (decoded as { error: SharedRunFailedError }).error;
    expect(error).toBeInstanceOf(SharedRunFailedError);
    expect(error).toMatchObject({
      key: 'k',
      originalName: 'Error',
      originalCode: 42,
      originalMessage: 'down',
      code: 'LOCK_SHARED_RUN_FAILED',
    });
    const thrown = decodeOutcome('k', encodeError('a string')) as { error: SharedRunFailedError };
    expect(thrown.error.originalMessage).toBe('a string');
    expect(thrown.error.originalCode).toBeUndefined();
  });

  it('passes an unshareable result on as ResultNotShareableError, not as a failed run', () => {
    const stored = encodeError(new ResultNotShareableError('k', 'is not JSON (BigInt)'));
    const decoded = decodeOutcome('k', stored) as { error: ResultNotShareableError };
    expect(decoded.error).toBeInstanceOf(ResultNotShareableError);
    expect(decoded.error.problem).toBe('is not JSON (BigInt)');
  });
});
