import { execFileSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { hashSlot } from '../../lib/backends/redis/cluster-slot.js';
import {
  type Lock,
  LockBackendError,
  LockLostError,
  LockManager,
  RedisLockBackend,
} from '../../lib/index.js';
import { aborted, sleep, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';

/**
 * A three-master cluster of this suite's own (the shared one on 6430 must never be stopped), so
 * that one master can be SIGSTOPped while this process holds a lock on each master.
 */
const PORT = testPort(6460);
const PORTS = [PORT, PORT + 1, PORT + 2];
/** The master this suite stops. */
const VICTIM = PORT + 2;
const TTL_MS = 3_000;
/** Clearly longer than the ttl (FAULTS.md: faults clearly longer or shorter than the ttl). */
const STOP_MS = 2.5 * TTL_MS;
const COMMAND_TIMEOUT_MS = 500;

function servers(action: 'start' | 'stop'): void {
  execFileSync('bash', ['scripts/servers.sh', action, `redis-cluster:${PORT}`], {
    stdio: 'ignore',
  });
}

/** Runs one command on one node, outside the cluster client. */
async function onNode(
  port: number,
  ...command: [string, ...(string | number)[]]
): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(...command);
  } finally {
    client.disconnect();
  }
}

async function clusterOk(): Promise<boolean> {
  for (const port of PORTS) {
    const info = (await onNode(port, 'CLUSTER', 'INFO').catch(() => '')) as string;
    if (!info.includes('cluster_state:ok')) return false;
  }
  return true;
}

describe('RedisLockBackend on a Redis Cluster with one master stopped (SIGSTOP)', () => {
  const victim = new TestRedisServer(VICTIM);
  const clients: Cluster[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  /** The master (port) of each hash slot. */
  let masterOf: (slot: number) => number;

  const cluster = (): Cluster => {
    const client = new Cluster([{ host: '127.0.0.1', port: PORT }], {
      clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
    });
    client.on('error', () => {});
    clients.push(client);
    return client;
  };
  const manager = (prefix: string): LockManager => {
    const backend = new RedisLockBackend({
      client: cluster(),
      onWarning: false,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
    });
    const locks = new LockManager({ backend, keyPrefix: prefix });
    cleanups.push(() => locks.close());
    return locks;
  };
  /** `count` lock names (under `prefix`) whose slots are on the master at `port`. */
  const namesOn = (port: number, prefix: string, tag: string, count: number): string[] => {
    const names: string[] = [];
    for (let i = 0; names.length < count; i++) {
      if (masterOf(hashSlot(`{${prefix}${tag}:${i}}`)) === port) names.push(`${tag}:${i}`);
    }
    return names;
  };

  beforeAll(async () => {
    servers('start');
    // The default (yes) makes the healthy masters refuse every command once the others agree the
    // stopped one failed: nothing a client can isolate. The README says so; here each master
    // serves its own slots, as a cluster that wants to survive a master must be set up.
    for (const port of PORTS)
      await onNode(port, 'CONFIG', 'SET', 'cluster-require-full-coverage', 'no');
    const slots = (await onNode(PORT, 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    masterOf = (slot) => slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
  }, 60_000);
  afterAll(async () => {
    victim.resume();
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    servers('stop');
  });
  afterEach(async () => {
    victim.resume();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps the locks on the healthy masters held for longer than a ttl, loses only the stopped master’s, and works again after SIGCONT', async () => {
    const prefix = `cfault:${uniqueId()}:`;
    const locks = manager(prefix);
    const rival = manager(prefix);
    const [healthyA, healthyB] = [namesOn(PORT, prefix, 'a', 2), namesOn(PORT + 1, prefix, 'b', 2)];
    // Two locks on the stopped master, on two of its slots; a third name there for an acquire.
    const [stopped, stoppedToo, stoppedOther] = namesOn(VICTIM, prefix, 'v', 3);
    expect(hashSlot(`{${prefix}${stopped}}`)).not.toBe(hashSlot(`{${prefix}${stoppedToo}}`));
    const lost: string[] = [];
    const renewalFailures: string[][] = [];
    locks.on('lost', (event) => lost.push(event.key));
    locks.on('renewalFailed', (event) => renewalFailures.push([...event.keys]));

    // Taken in one tick, so that their renewals fall due together.
    const [onA, onB, onVictim, onVictimToo] = (await Promise.all(
      [healthyA[0]!, healthyB[0]!, stopped!, stoppedToo!].map((name) =>
        locks.acquire(name, { ttl: TTL_MS }),
      ),
    )) as [Lock, Lock, Lock, Lock];

    victim.pause();
    const stoppedAt = performance.now();
    // Acquires made in the same tick, one on the stopped master: the healthy ones are granted,
    // and before the stopped master's call has timed out.
    const settledOrder: string[] = [];
    const attempt = (name: string) =>
      locks.tryAcquire(name, { ttl: TTL_MS }).then(
        (lock) => {
          settledOrder.push(name);
          return lock;
        },
        (error: unknown) => {
          settledOrder.push(name);
          throw error;
        },
      );
    const sameTick = await Promise.allSettled([
      attempt(healthyA[1]!),
      attempt(stoppedOther!),
      attempt(healthyB[1]!),
    ]);
    expect(sameTick[0].status).toBe('fulfilled');
    expect(sameTick[2].status).toBe('fulfilled');
    expect(sameTick[1].status).toBe('rejected');
    expect((sameTick[1] as PromiseRejectedResult).reason).toBeInstanceOf(LockBackendError);
    expect(settledOrder.at(-1)).toBe(stoppedOther);
    const extra = sameTick.flatMap((outcome) =>
      outcome.status === 'fulfilled' && outcome.value ? [outcome.value] : [],
    );
    expect(extra).toHaveLength(2);

    // The stopped master's locks are reported lost (their renewals time out until the deadline).
    for (const lock of [onVictim, onVictimToo]) {
      const reason = await aborted(lock.signal, TTL_MS * 4);
      expect(reason).toBeInstanceOf(LockLostError);
      expect((reason as LockLostError).reason).toBe('expired');
    }

    // The healthy masters' locks stay held through the whole stop, renewed as usual, and a rival
    // is refused on them.
    while (performance.now() - stoppedAt < STOP_MS) {
      await sleep(500);
      for (const lock of [onA, onB, ...extra]) {
        expect(lock.signal.aborted).toBe(false);
        expect(lock.isHeld()).toBe(true);
      }
    }
    for (const lock of [onA, onB, ...extra]) {
      expect(await rival.tryAcquire(lock.key)).toBeNull();
    }
    expect([...lost].sort()).toEqual([stopped, stoppedToo].sort());
    // Only the stopped master's leases failed to renew, reported together (one event per retry,
    // not one per slot); the others were never reported.
    const victims = [stopped, stoppedToo].sort();
    expect(renewalFailures.some((keys) => keys.length === 2)).toBe(true);
    for (const keys of renewalFailures) {
      expect(keys.every((key) => victims.includes(key))).toBe(true);
    }

    victim.resume();
    // After SIGCONT every slot works again: a lock on the stopped master's slots is taken (once
    // its late-applied calls have expired), renewed and released, and the held ones release.
    const again = await locks.acquire(stopped!, { ttl: TTL_MS, wait: TTL_MS * 4 });
    expect(again.fencingToken).toBeGreaterThan(onVictim.fencingToken);
    await again.extend(TTL_MS);
    expect(await again.release()).toBe(true);
    for (const lock of [onA, onB, ...extra]) expect(await lock.release()).toBe(true);
    expect(await clusterOk()).toBe(true);
  }, 60_000);
});
