/**
 * One of the read-mostly scenario's worker processes (forked by bench/scenarios/read-mostly.ts
 * with the Redis URL, the PostgreSQL URL and its index): one `LockManager` per store, and on each
 * run message `loops` concurrent loops of acquire (a read or a write) → an async wait → release on
 * the shared key until the run's time is up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type LockBackend,
  LockManager,
  type LockOptions,
  PostgresLockBackend,
  RedisLockBackend,
} from '../../lib/index.js';
import { serve } from '../contended/serve.js';
import type {
  Hold,
  ReadMostlyDone,
  ReadMostlyReady,
  ReadMostlyRun,
  StoreName,
} from './protocol.js';

/** How long an acquire may wait before the run fails, in ms. */
const WAIT_MS = 60_000;

const [redisUrl, postgresUrl, index] = process.argv.slice(2);
if (!redisUrl || !postgresUrl || !index || !process.send) {
  console.error(
    'usage: forked by the read-mostly scenario with a Redis URL, a PostgreSQL URL and an index',
  );
  process.exit(2);
}

const redis = new RedisLockBackend({ url: redisUrl });
const postgres = new PostgresLockBackend({ connectionString: postgresUrl });
const managers: Record<StoreName, LockManager> = {
  redis: new LockManager({ backend: redis }),
  postgres: new LockManager({ backend: postgres }),
};
const backends: readonly (readonly [StoreName, LockBackend])[] = [
  ['redis', redis],
  ['postgres', postgres],
];
const readWrite = backends
  .filter(([, backend]) => backend.readWrite !== undefined)
  .map(([store]) => store);

/** CLOCK_MONOTONIC in ms: the same clock in every process of the machine, unlike `performance`. */
function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The options of one op of `message.arm`. */
function optionsOf(message: ReadMostlyRun, read: boolean): LockOptions {
  const common: LockOptions = { ttl: message.ttlMs, wait: WAIT_MS };
  switch (message.arm) {
    case 'read-write':
      return { ...common, mode: read ? 'read' : 'write' };
    case 'mutex':
      return common;
    case 'semaphore':
      return { ...common, permits: message.permits };
  }
}

async function run(message: ReadMostlyRun): Promise<ReadMostlyDone> {
  const manager = managers[message.store];
  const holds: Hold[] = [];
  const readWaitsMs: number[] = [];
  const writeWaitsMs: number[] = [];
  const deadline = nowMs() + message.durationMs;
  const loop = async (): Promise<void> => {
    let calledAt = nowMs();
    while (calledAt < deadline) {
      const read = Math.random() < message.readShare;
      const lock = await manager.acquire(message.key, optionsOf(message, read));
      const startMs = nowMs();
      (read ? readWaitsMs : writeWaitsMs).push(startMs - calledAt);
      await sleep(message.holdMs);
      holds.push({ startMs, endMs: nowMs(), read });
      if (!(await lock.release())) throw new Error(`${message.key} was not held any more`);
      calledAt = nowMs();
    }
  };
  await Promise.all(Array.from({ length: message.loops }, loop));
  return { holds, readWaitsMs, writeWaitsMs };
}

serve<ReadMostlyRun, ReadMostlyReady, ReadMostlyDone>({
  ready: Promise.all(
    Object.values(managers).map((manager) => manager.inspect(`bench:read-mostly:ready:${index}`)),
  ).then(() => ({ readWrite })),
  run,
  close: async () => {
    await Promise.all(Object.values(managers).map((manager) => manager.close()));
  },
});
