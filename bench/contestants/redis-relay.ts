import type { Redis } from 'ioredis';
import type { HeldLock, LockAdapter } from './lock-adapter.js';

/** Publishes the turn to the next process. KEYS[1] = its channel, ARGV[1] = "<round's key>|<skips>". */
const PASS_TURN_LUA = "return redis.call('PUBLISH', KEYS[1], ARGV[1])";

/**
 * Not a lock: the least any hand-off through Redis can cost, as a reference for the contended
 * scenario's ceiling. The processes pass one turn around a ring: a release runs one script that
 * publishes the turn on the next process's channel, and that process holds the "lock" as soon as
 * the message arrives. No key, no queue, no owner check, no lease; process 0 starts each round
 * with the turn. What it measures that a PING does not: waking another process through pub/sub
 * while 8 processes and Redis share the machine's cores.
 *
 * `subscriber` must be a connection of its own; `ready` resolves once it is subscribed.
 */
export function redisRelay(
  publisher: Redis,
  subscriber: Redis,
  index: number,
  count: number,
): LockAdapter & { readonly ready: Promise<unknown> } {
  const channelOf = (i: number): string => `bench:relay:${i}`;
  const next = channelOf((index + 1) % count);
  /** Rounds (keys) whose turn arrived before this process asked for it. */
  const turns = new Set<string>();
  const waiting = new Map<string, () => void>();
  const started = new Set<string>();
  let sha: Promise<string> | undefined;
  /** Passes the turn on; `skips` counts the processes in a row that passed it without taking it. */
  const pass = async (key: string, skips: number): Promise<void> => {
    sha ??= publisher.script('LOAD', PASS_TURN_LUA) as Promise<string>;
    await publisher.evalsha(await sha, 1, next, `${key}|${skips}`);
  };
  subscriber.on('message', (_channel: string, message: string) => {
    const split = message.lastIndexOf('|');
    const key = message.slice(0, split);
    const skips = Number(message.slice(split + 1));
    const wake = waiting.get(key);
    if (wake) {
      waiting.delete(key);
      wake();
    } else if (!started.has(key)) {
      // Not started on this round yet: the turn waits here.
      started.add(key);
      turns.add(key);
    } else if (skips + 1 < count) {
      // Done with this round (the processes' rounds end at slightly different times): pass it on
      // to whoever still waits, until every process has passed it by.
      void pass(key, skips + 1).catch(() => undefined);
    }
  });
  const held = (key: string): HeldLock => ({ release: () => pass(key, 0) });
  return {
    name: 'pub/sub relay (no lock)',
    description:
      'not a lock: the turn goes round the 8 processes, each release one `EVALSHA` that `PUBLISH`es it on the next process’s channel; a process holds as soon as its message arrives. The machine’s practical ceiling for any hand-off through Redis.',
    ready: subscriber.subscribe(channelOf(index)),
    async acquire(key) {
      if (!started.has(key)) {
        started.add(key);
        if (index === 0) turns.add(key);
      }
      if (!turns.delete(key)) await new Promise<void>((resolve) => waiting.set(key, resolve));
      return held(key);
    },
    async close() {
      await subscriber.quit();
    },
  };
}
