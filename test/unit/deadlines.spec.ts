import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  Deadlines,
  StoreTimeoutError,
  type Timed,
  withTimeout,
} from '../../lib/contract/deadlines.js';

/** A promise that never settles: a store call that never answers. */
const silent = <T>(): Promise<T> => new Promise<T>(() => undefined);

/** The outcome of `promise` so far, read after the microtasks that are due have run. */
function watch(promise: Promise<unknown>): { state: 'pending' | 'resolved' | 'rejected' } {
  const seen: { state: 'pending' | 'resolved' | 'rejected' } = { state: 'pending' };
  promise.then(
    () => {
      seen.state = 'resolved';
    },
    () => {
      seen.state = 'rejected';
    },
  );
  return seen;
}

// `gc()` for the retention test, in a context of its own (the flag applies to contexts made after).
setFlagsFromString('--expose-gc');

describe('Deadlines', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('passes a call’s value and its error through unchanged', async () => {
    const deadlines = new Deadlines();
    await expect(deadlines.bound(Promise.resolve('answer'), 1_000)).resolves.toBe('answer');
    const failure = new Error('WRONGTYPE');
    await expect(deadlines.bound(Promise.reject(failure), 1_000)).rejects.toBe(failure);
  });

  it('lets go of an answered call’s value at once, not at the next sweep', async () => {
    // The sweep (every 10 ms) drops answered entries. Until then an entry must not keep its
    // call's reply alive: kept for 10 ms, every reply of a busy process outlived a
    // young-generation collection (a backend's acquire + release spent 38 % of its time
    // collecting garbage). Real timers: the collection runs in a later turn of the event loop.
    jest.useRealTimers();
    const deadlines = new Deadlines();
    const collect = runInNewContext('gc') as () => void;
    const reply = await (async () => {
      const value = { rows: new Array<number>(1_000).fill(1) };
      await deadlines.bound(Promise.resolve(value), 60_000);
      return new WeakRef(value);
    })();
    await new Promise<void>((resolve) => setImmediate(resolve));
    collect();
    expect(reply.deref()).toBeUndefined();
  });

  it('rejects a call that has not answered by its deadline with StoreTimeoutError, not before', async () => {
    const deadlines = new Deadlines();
    const call = deadlines.bound(silent(), 25);
    const outcome = call.catch((error: unknown) => error);
    const seen = watch(call);
    await jest.advanceTimersByTimeAsync(20);
    expect(seen.state).toBe('pending');
    // The sweep after the deadline finds it; the expiry runs after that turn's I/O.
    await jest.advanceTimersByTimeAsync(15);
    const error = await outcome;
    expect(error).toBeInstanceOf(StoreTimeoutError);
    expect((error as StoreTimeoutError).timeoutMs).toBe(25);
    expect(String(error)).toContain('no answer within 25 ms');
  });

  it('expires only the entries whose deadline passed and that have not ended', async () => {
    const deadlines = new Deadlines();
    const expired: string[] = [];
    const entry = (name: string, inMs: number, ended = false): Timed => ({
      deadlineAt: performance.now() + inMs,
      ended,
      expire: () => expired.push(name),
    });
    deadlines.add(entry('due', 0));
    deadlines.add(entry('ended', 0, true));
    deadlines.add(entry('later', 200));
    await jest.advanceTimersByTimeAsync(30);
    expect(expired).toEqual(['due']);
    await jest.advanceTimersByTimeAsync(200);
    expect(expired).toEqual(['due', 'later']);
  });

  it('keeps a call that answers after a first sweep from being expired', async () => {
    const deadlines = new Deadlines();
    let answer!: (value: string) => void;
    const late = deadlines.bound(new Promise<string>((resolve) => (answer = resolve)), 60_000);
    await jest.advanceTimersByTimeAsync(25);
    answer('late answer');
    await expect(late).resolves.toBe('late answer');
  });

  it('sweeps many calls with one interval, and stops it once no call was pending for 100 ms', async () => {
    const deadlines = new Deadlines();
    const answers = Array.from({ length: 100 }, (_, i) =>
      deadlines.bound(Promise.resolve(i), 1_000 + i),
    );
    expect(jest.getTimerCount()).toBe(1);
    await Promise.all(answers);
    await jest.advanceTimersByTimeAsync(50);
    // A call made while the interval lingers is swept by it: no second timer.
    await deadlines.bound(Promise.resolve('late'), 1_000);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(90);
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(20);
    expect(jest.getTimerCount()).toBe(0);
  });
});

/**
 * An echo server on 127.0.0.1 in a worker thread, so that it answers while this thread is blocked.
 * After each echo is written it sets `signal[0]` to 1 and notifies: the blocked thread wakes when
 * the answer is in its socket, not after a guessed sleep.
 */
const ECHO_WORKER = `
const { createServer } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const signal = new Int32Array(workerData);
const server = createServer((socket) => {
  socket.on('data', (data) => socket.write(data, () => {
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  }));
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

describe('Deadlines when this process stalls', () => {
  it('counts an answer that arrived during the stall, though the deadline passed meanwhile', async () => {
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(ECHO_WORKER, { eval: true, workerData: signal.buffer });
    let socket: Socket | undefined;
    try {
      const [port] = (await once(worker, 'message')) as [number];
      socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const client = socket;
      const deadlines = new Deadlines();
      // In the check phase, so the timers phase (and the sweep) comes before the next I/O phase.
      const outcome = await new Promise<unknown>((resolve) =>
        setImmediate(() => {
          const answer = once(client, 'data').then(([data]) => String(data));
          const bound = deadlines.bound(answer, 5);
          client.write('ping');
          // The stall: blocked until the answer is in the socket, then well past the deadline.
          Atomics.wait(signal, 0, 0, 30_000);
          Atomics.wait(signal, 1, 0, 30);
          bound.then(resolve, resolve);
        }),
      );
      expect(Atomics.load(signal, 0)).toBe(1);
      expect(outcome).toBe('ping');
    } finally {
      socket?.destroy();
      worker.postMessage('stop');
      await once(worker, 'exit');
    }
  });
});

describe('withTimeout', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('is a bound call on shared deadlines: a value passes, silence becomes StoreTimeoutError', async () => {
    await expect(withTimeout(Promise.resolve('quit'), 1_000)).resolves.toBe('quit');
    const outcome = withTimeout(silent(), 50).catch((error: unknown) => error);
    const another = withTimeout(silent(), 5_000).catch(() => undefined);
    // One interval for both calls, not a timer each.
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(60);
    expect(await outcome).toBeInstanceOf(StoreTimeoutError);
    await jest.advanceTimersByTimeAsync(5_000);
    await another;
  });
});

describe('the backends’ import paths of the timeout mechanism', () => {
  it('are the one implementation in contract/deadlines.ts', async () => {
    const shared = await import('../../lib/backends/shared/deadlines.js');
    const oneOff = await import('../../lib/backends/shared/with-timeout.js');
    expect(shared.Deadlines).toBe(Deadlines);
    expect(oneOff.withTimeout).toBe(withTimeout);
    expect(oneOff.StoreTimeoutError).toBe(StoreTimeoutError);
  });
});
