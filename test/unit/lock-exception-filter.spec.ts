import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import {
  LockBackendError,
  LockDeadlockError,
  LockExceptionFilter,
  LockLostError,
  LockManagerClosedError,
  LockNotAcquiredError,
  lockErrorResponse,
  ResultNotShareableError,
  SharedRunFailedError,
} from '../../lib/index.js';

/** An ArgumentsHost of `type` whose ws client (and http response) record what they are sent. */
function hostOf(type: string) {
  const emitted: unknown[][] = [];
  const client = { emit: (...args: unknown[]) => emitted.push(args) };
  const host = {
    getType: () => type,
    switchToWs: () => ({ getClient: () => client }),
    switchToHttp: () => ({ getResponse: () => ({}) }),
  } as unknown as ArgumentsHost;
  return { host, emitted };
}

const replies: unknown[][] = [];
const adapterHost = {
  httpAdapter: {
    isHeadersSent: () => false,
    setHeader: (...args: unknown[]) => replies.push(['header', ...args.slice(1)]),
    reply: (...args: unknown[]) => replies.push(['reply', ...args.slice(1)]),
    end: () => undefined,
  },
} as unknown as HttpAdapterHost;

describe('lockErrorResponse', () => {
  it('answers a busy lock 409 with the remaining lease in whole seconds, rounded up', () => {
    expect(lockErrorResponse(new LockNotAcquiredError('order:1', 2_001, 0))).toEqual({
      status: 409,
      headers: { 'Retry-After': '3' },
      body: {
        statusCode: 409,
        error: 'Conflict',
        errorCode: 'LOCK_NOT_ACQUIRED',
        message: 'Lock "order:1" is held by another owner; it frees in at most 2001 ms',
      },
    });
    expect(lockErrorResponse(new LockNotAcquiredError('k', undefined, 0))?.headers).toEqual({
      'Retry-After': '1',
    });
  });

  it('answers a lost lease 409, and shutting down or a failing store 503', () => {
    expect(lockErrorResponse(new LockLostError('k', 1n, 'expired'))?.status).toBe(409);
    expect(lockErrorResponse(new LockLostError('k', 1n, 'closed'))?.status).toBe(503);
    expect(lockErrorResponse(new LockManagerClosedError('k'))).toEqual(
      expect.objectContaining({ status: 503, headers: { 'Retry-After': '1' } }),
    );
    const failure = lockErrorResponse(
      new LockBackendError(
        'redis',
        'acquire',
        'k',
        new Error('connect ECONNREFUSED 10.0.0.7:6379'),
      ),
    );
    expect(failure?.status).toBe(503);
    expect(JSON.stringify(failure)).not.toContain('10.0.0.7');
  });

  it('answers a call that gave way in a deadlock 409, retry after 1 s', () => {
    const answer = lockErrorResponse(
      new LockDeadlockError('account:B', ['account:B', 'account:A']),
    );
    expect(answer).toEqual(
      expect.objectContaining({ status: 409, headers: { 'Retry-After': '1' } }),
    );
    expect(answer?.body.errorCode).toBe('LOCK_DEADLOCK');
    expect(answer?.body.message).toContain('"account:B" -> "account:A"');
  });

  it('leaves other errors alone', () => {
    // A shared run's failure is the app's own error, and an unshareable result a bug.
    expect(lockErrorResponse(new SharedRunFailedError('k', 'Error', 'E', 'down'))).toBeUndefined();
    expect(lockErrorResponse(new ResultNotShareableError('k', 'is not JSON'))).toBeUndefined();
    expect(lockErrorResponse(new TypeError('bug'))).toBeUndefined();
    expect(lockErrorResponse('not even an error')).toBeUndefined();
  });
});

describe('LockExceptionFilter outside HTTP', () => {
  const filter = new LockExceptionFilter(adapterHost);
  const busy = new LockNotAcquiredError('order:1', 1_500, 0);

  it('sends a WebSocket client an exception event with the same body', () => {
    const { host, emitted } = hostOf('ws');
    expect(filter.catch(busy, host)).toBeUndefined();
    expect(emitted).toEqual([
      ['exception', expect.objectContaining({ status: 'error', errorCode: 'LOCK_NOT_ACQUIRED' })],
    ]);
  });

  it('leaves microservice and GraphQL errors to Nest (returns undefined, answers nothing)', () => {
    replies.length = 0;
    for (const type of ['rpc', 'graphql']) {
      const { host, emitted } = hostOf(type);
      expect(filter.catch(busy, host)).toBeUndefined();
      expect(emitted).toEqual([]);
    }
    expect(replies).toEqual([]);
  });

  it('over HTTP, sets Retry-After and replies with the status and body', () => {
    replies.length = 0;
    filter.catch(busy, hostOf('http').host);
    expect(replies).toEqual([
      ['header', 'Retry-After', '2'],
      ['reply', expect.objectContaining({ statusCode: 409 }), 409],
    ]);
  });

  it('catches a deadlock thrown outside a handler (a guard, a pipe) as 409', () => {
    replies.length = 0;
    const caught = Reflect.getMetadata(
      '__filterCatchExceptions__',
      LockExceptionFilter,
    ) as unknown[];
    expect(caught).toContain(LockDeadlockError);
    filter.catch(new LockDeadlockError('a', ['a', 'b']), hostOf('http').host);
    expect(replies).toEqual([
      ['header', 'Retry-After', '1'],
      ['reply', expect.objectContaining({ statusCode: 409, errorCode: 'LOCK_DEADLOCK' }), 409],
    ]);
  });
});
