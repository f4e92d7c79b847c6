import type { AcquireResult } from '../../contract/lease.js';
import type { AcquireRequest } from '../shared/lease-requests.js';
import type { RedisContext } from './redis-context.js';
import { ACQUIRE, type AcquireAnswer, ASK_WITH_TURN } from './scripts/acquire.lua.js';
import { RELEASE, type ReleaseAnswer, type ReleaseItem, WAITED_ON } from './scripts/release.lua.js';

/**
 * One batch of plain acquires: one script run, each lock passed with the keys of its waiters only
 * while this process waits on it or did lately; the rare lock whose fence is marked by a turn is asked for again
 * with its turn key ({@link ASK_WITH_TURN}).
 *
 * @example
 * ```ts
 * const results = await acquirePlain(context, [{ key: 'order:1', owner, ttlMs: 30_000 }]);
 * ```
 */
export async function acquirePlain(
  context: RedisContext,
  locks: AcquireRequest[],
): Promise<AcquireResult[]> {
  const { fenceRetentionMs } = context;
  const sleepers = context.wakeups.listening
    ? locks.map((lock) => context.waitingSleeper(lock.key))
    : undefined;
  const answers = await context.run(ACQUIRE, { locks, fenceRetentionMs, sleepers });
  if (!answers.includes(ASK_WITH_TURN)) return answers as AcquireResult[];
  const again: number[] = [];
  for (let i = 0; i < answers.length; i++) if (answers[i] === ASK_WITH_TURN) again.push(i);
  const retried = await context.run(ACQUIRE, {
    locks: again.map((i) => locks[i]!),
    fenceRetentionMs,
    sleepers: sleepers && again.map((i) => sleepers[i]),
    withTurns: true,
  });
  // Passed with their turn keys, the locks asked again are never answered ASK_WITH_TURN (the
  // script's reply parser refuses it).
  return answers.map(
    (answer: AcquireAnswer) =>
      (answer === ASK_WITH_TURN ? retried.shift() : answer) as AcquireResult,
  );
}

/**
 * One batch of plain releases: one script run, each lock passed with the keys of its waiters only
 * when it is not `unwatched`; a lock others turned out to wait on is released again with them
 * ({@link WAITED_ON}: one more round trip, only until this process has waited on the key itself).
 * Wakes this process's own waiters on each released lock.
 *
 * @example
 * ```ts
 * const [released] = await releasePlain(context, [{ key: 'order:1', owner, unwatched: true }]);
 * ```
 */
export async function releasePlain(
  context: RedisContext,
  items: readonly ReleaseItem[],
): Promise<boolean[]> {
  let answers = await context.run(RELEASE, items);
  if (answers.includes(WAITED_ON)) answers = await releaseWaitedOn(context, items, answers);
  const released: boolean[] = [];
  for (let i = 0; i < items.length; i++) {
    const done = answers[i] === true;
    released.push(done);
    if (done) context.wakeLocal(items[i]!.key);
  }
  return released;
}

async function releaseWaitedOn(
  context: RedisContext,
  items: readonly ReleaseItem[],
  answers: ReleaseAnswer[],
): Promise<ReleaseAnswer[]> {
  const again: number[] = [];
  for (let i = 0; i < answers.length; i++) if (answers[i] === WAITED_ON) again.push(i);
  const retried = await context.run(
    RELEASE,
    again.map((i) => ({ key: items[i]!.key, owner: items[i]!.owner })),
  );
  const merged = [...answers];
  for (const [j, i] of again.entries()) merged[i] = retried[j]!;
  return merged;
}
