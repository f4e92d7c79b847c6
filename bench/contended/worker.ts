/**
 * One of the contended scenario's worker processes (forked by bench/scenarios/contended.ts with
 * the Redis URL, its index and the number of workers as its arguments): holds one Redis client per contestant, and on each run message
 * loops acquire → ~1 ms of work → release on the shared key until the run's time is up.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RedisLockBackend } from '../../lib/index.js';
import type { LockAdapter } from '../contestants/lock-adapter.js';
import { nestjsLocker } from '../contestants/nestjs-locker.js';
import { peerLocks } from '../contestants/peers.js';
import { rawRedisLock } from '../contestants/raw-redis-lock.js';
import { redisRelay } from '../contestants/redis-relay.js';
import type { DoneMessage, ReadyMessage, RunMessage } from './protocol.js';
import { serve } from './serve.js';

const [url, index, count] = process.argv.slice(2);
if (!url || !index || !count || !process.send) {
  console.error('usage: forked by the contended scenario with a Redis URL, an index and a count');
  process.exit(2);
}

const rawClient = new Redis(url);
const peerClient = new Redis(url);
const relay = redisRelay(rawClient, new Redis(url), Number(index), Number(count));
const adapters: LockAdapter[] = [
  relay,
  rawRedisLock([rawClient]),
  nestjsLocker(
    'nestjs-locker',
    '`new RedisLockBackend({ url })`, `wait: 60000`: a waiter sleeps until the release notification (Redis pub/sub) or the holder’s lease would end, then tries again; not fair (no queue).',
    new RedisLockBackend({ url }),
  ),
  nestjsLocker(
    'nestjs-locker (fair)',
    '`new RedisLockBackend({ url })`, `wait: 60000`: waiters queue per key in Redis, and a release hands the lease to the head of the queue and publishes the hand-off, so that waiter holds the lock without another round trip.',
    new RedisLockBackend({ url }),
    { fair: true },
  ),
  ...peerLocks([peerClient]),
];

/** Keeps the CPU busy for `ms`: the critical section's work, not a timer (timers are ≥ 1 ms late). */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

async function run(message: RunMessage): Promise<DoneMessage> {
  const adapter = adapters.find((a) => a.name === message.contestant);
  if (!adapter) throw new Error(`no contestant named ${message.contestant}`);
  const cpu = process.cpuUsage();
  const startedAt = performance.now();
  const deadline = startedAt + message.durationMs;
  const waitsMs: number[] = [];
  const takenAt: number[] = [];
  let now = startedAt;
  while (now < deadline) {
    const lock = await adapter.acquire(message.key, message.ttlMs);
    const taken = performance.now();
    waitsMs.push(taken - now);
    takenAt.push(performance.timeOrigin + taken);
    work(message.holdMs);
    await lock.release();
    now = performance.now();
  }
  const used = process.cpuUsage(cpu);
  return {
    ops: waitsMs.length,
    waitsMs,
    takenAt,
    elapsedMs: performance.now() - startedAt,
    cpuUs: used.user + used.system,
  };
}

async function close(): Promise<void> {
  await Promise.all(adapters.map((adapter) => adapter.close()));
  await Promise.all([rawClient.quit(), peerClient.quit()]);
}

serve<RunMessage, ReadyMessage, DoneMessage>({
  ready: Promise.all([rawClient.ping(), peerClient.ping(), relay.ready]).then(() => ({
    contestants: adapters.map(({ name, description }) => ({ name, description })),
  })),
  run,
  close,
});
