// One chaos worker: a separate process that takes locks on shared keys through the built library
// and, inside each critical section, writes to the fenced store with its fencing token. Every
// section and event is appended to the shared log as one JSON line (see history.ts).
//
// Usage: node chaos.worker.mjs '<json config>'
//   { worker, backend: { kind: 'redis' | 'postgres', url } | { kind: 'redlock', urls }
//     | { kind: 'zookeeper', connect } | { kind: 'etcd', endpoints }, keys,
//     ttlMs, steps, stepMs,
//     durationMs, storeUrl, logFile }
// SIGUSR2: stop this process (SIGSTOP) between its next "lease is valid" check and the write that
// follows, as a GC pause or a stalled VM would: the runner resumes it with SIGCONT.
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  EtcdLockBackend,
  LockManager,
  PostgresLockBackend,
  RedisLockBackend,
  RedlockLockBackend,
  ZooKeeperLockBackend,
} from '../../dist/index.js';

const config = JSON.parse(process.argv[2]);
const { worker, keys, ttlMs, steps, stepMs, storeUrl, logFile } = config;
const now = () => process.hrtime.bigint();
const log = (record) =>
  appendFileSync(
    logFile,
    `${JSON.stringify(record, (_, value) => (typeof value === 'bigint' ? value.toString() : value))}\n`,
  );

process.on('unhandledRejection', (reason) => {
  log({ type: 'unhandled', worker, at: now(), message: String(reason?.stack ?? reason) });
  process.exitCode = 1;
});

let pauseRequested = false;
process.on('SIGUSR2', () => {
  pauseRequested = true;
});

function openBackend({ kind, url, urls, connect, endpoints }) {
  if (kind === 'redis')
    return new RedisLockBackend({ url, commandTimeoutMs: 1_000, onWarning: false });
  if (kind === 'redlock')
    return new RedlockLockBackend({ nodes: urls, commandTimeoutMs: 500, onWarning: false });
  if (kind === 'postgres')
    return new PostgresLockBackend({ connectionString: url, commandTimeoutMs: 1_000 });
  if (kind === 'zookeeper')
    return new ZooKeeperLockBackend({ connectionString: connect, commandTimeoutMs: 1_000 });
  if (kind === 'etcd') return new EtcdLockBackend({ endpoints, commandTimeoutMs: 1_000 });
  throw new Error(`unknown backend ${kind}`);
}

async function write(key, token) {
  const response = await fetch(
    `${storeUrl}/write?key=${encodeURIComponent(key)}&token=${token}&worker=${worker}`,
    { method: 'POST' },
  );
  await response.text();
  return response.status === 200;
}

/** Waits a little for the abort event of a lease already known lost (timers may lag a resume). */
async function abortedSoon(signal) {
  for (let i = 0; i < 20 && !signal.aborted; i++) await sleep(10);
  return signal.aborted;
}

async function section(lock) {
  const start = now();
  let validEnd = start;
  let lost = false;
  let accepted = 0;
  let rejected = 0;
  for (let step = 0; step < steps; step++) {
    if (!lock.isHeld()) {
      lost = true;
      break;
    }
    validEnd = now();
    if (pauseRequested) {
      pauseRequested = false;
      process.kill(process.pid, 'SIGSTOP');
    }
    try {
      if (await write(lock.key, lock.fencingToken)) accepted++;
      else rejected++;
    } catch {
      // The store is the test's own; a failed write is not the library's doing.
    }
    await sleep(stepMs);
  }
  if (!lost && !lock.isHeld()) lost = true;
  const aborted = lost ? await abortedSoon(lock.signal) : lock.signal.aborted;
  const end = now();
  await lock.release().catch(() => false);
  log({
    type: 'section',
    worker,
    key: lock.key,
    token: lock.fencingToken,
    start,
    validEnd,
    end,
    lost,
    aborted,
    accepted,
    rejected,
  });
}

const locks = new LockManager({
  backend: openBackend(config.backend),
  keyPrefix: config.keyPrefix,
});
const stopAt = now() + BigInt(config.durationMs) * 1_000_000n;
let round = worker;
while (now() < stopAt) {
  const key = keys[round++ % keys.length];
  let lock;
  try {
    lock = await locks.acquire(key, { ttl: ttlMs, wait: 2 * ttlMs });
  } catch (error) {
    log({ type: 'error', worker, at: now(), message: `${error.name}: ${error.message}` });
    await sleep(50);
    continue;
  }
  await section(lock);
}
// 'done' marks when this worker stopped taking locks (the checker expects no progress after it).
log({ type: 'done', worker, at: now() });
await locks.close();
