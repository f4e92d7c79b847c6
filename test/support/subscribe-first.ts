import { type LockBackend, LockManager } from '../../lib/index.js';
import { interceptBackend } from '../../lib/testing/index.js';

/** The acquire attempts each of two waits on one busy key made before it slept. */
export interface WaitAttempts {
  readonly first: number;
  readonly second: number;
}

/**
 * Two waits on a key that `holder` holds, both through one manager on `waiter` (counted): the
 * first attempts, subscribes and attempts again (covering a release in between); the second,
 * started while the first waits, may subscribe first (`LockBackend.subscribed`) and attempt once.
 * Then the holder releases and both take the key in turn, each with a newer fencing token.
 * Resolves with the attempts each wait made before it was listed as waiting.
 */
export async function attemptsOfTwoWaits(
  holder: LockBackend,
  waiter: LockBackend,
  keyPrefix: string,
): Promise<WaitAttempts> {
  let attempts = 0;
  const counted = interceptBackend(waiter, (call, proceed) => {
    if (call.method === 'acquire') attempts++;
    return proceed();
  });
  const holding = new LockManager({ backend: holder, keyPrefix });
  const waiting = new LockManager({ backend: counted, keyPrefix });
  const listed = async (n: number): Promise<void> => {
    while (waiting.waiting().length < n) await new Promise((resolve) => setTimeout(resolve, 2));
  };
  try {
    const lock = await holding.acquire('busy', { ttl: 30_000 });
    const first = waiting.acquire('busy', { ttl: 30_000, wait: 60_000 });
    await listed(1);
    // Listed at its first miss; its second attempt follows the subscription.
    while (attempts < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    const firstAttempts = attempts;
    const second = waiting.acquire('busy', { ttl: 30_000, wait: 60_000 });
    await listed(2);
    const secondAttempts = attempts - firstAttempts;
    await lock.release();
    const taken = [first, second].map((wait, i) => wait.then((held) => ({ held, i })));
    const next = await Promise.race(taken);
    if (next.held.fencingToken <= lock.fencingToken) throw new Error('fencing token not newer');
    await next.held.release();
    const last = (await taken[1 - next.i]!).held;
    if (last.fencingToken <= next.held.fencingToken) throw new Error('fencing token not newer');
    await last.release();
    return { first: firstAttempts, second: secondAttempts };
  } finally {
    await waiting.close();
    await holding.close();
  }
}
