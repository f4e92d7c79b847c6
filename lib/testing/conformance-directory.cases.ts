import assert from 'node:assert/strict';
import type { LockBackend } from '../contract/lock-backend.js';
import type { LockDirectory } from '../contract/lock-directory.js';
import type { Lock } from '../manager/lock.js';
import type { ConformanceCaseDefinition, ConformanceContext } from './conformance-support.js';
import { sleep } from './conformance-support.js';

/** Slack for the store's clock against the ttl it was asked for (etcd keeps whole seconds). */
const TTL_SLACK_MS = 2_500;

/**
 * A case of the directory capability: run where the backend offers it. A backend without it has
 * nothing to check here (the dashboard tells its users the store cannot list).
 */
function withDirectory(
  run: (
    context: ConformanceContext,
    directory: LockDirectory,
    backend: LockBackend,
  ) => Promise<void>,
): (context: ConformanceContext) => Promise<void> {
  return async (context) => {
    const backend = await context.backend();
    if (!backend.directory) return;
    await run(context, backend.directory, backend);
  };
}

/** Polls `check` until it holds (a store's expiry is not an event the case can wait on). */
async function eventually(what: string, limitMs: number, check: () => Promise<boolean>) {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`${what} did not happen within ${limitMs} ms`);
    await sleep(100);
  }
}

/** The directory: listing of live leases under a prefix, and records of running instances. */
export const directoryCases: readonly ConformanceCaseDefinition[] = [
  {
    name: 'directory: lists every live lease under the prefix, each hold with its owner, token and expiry',
    run: withDirectory(async ({ manager, keyPrefix }, directory, backend) => {
      const locks = await manager();
      const held: Lock[] = [await locks.acquire('a', { ttl: 10_000 })];
      held.push(await locks.acquire('b', { ttl: 10_000 }));
      if (backend.semaphore) {
        held.push(await locks.acquire('pool', { permits: 3, ttl: 10_000 }));
        held.push(await locks.acquire('pool', { permits: 3, ttl: 10_000 }));
      }
      if (backend.readWrite) held.push(await locks.acquire('doc', { mode: 'read', ttl: 10_000 }));
      if (backend.fair) held.push(await locks.acquire('queue', { fair: true, ttl: 10_000 }));
      const both = backend.multiKey ? await locks.acquire(['x', 'y'], { ttl: 10_000 }) : undefined;
      const elsewhere = await manager({ keyPrefix: `${keyPrefix}other/` });
      const outside = await elsewhere.acquire('a', { ttl: 10_000 });

      const listing = await directory.list(`${keyPrefix}`, 100);
      const ours = listing.leases.filter((lease) => !lease.key.startsWith(`${keyPrefix}other/`));
      const expected = held.map((lock) => ({
        key: `${keyPrefix}${lock.key}`,
        token: lock.fencingToken,
        kind: lock.key === 'pool' ? 'permit' : lock.key === 'doc' ? 'read' : 'mutex',
      }));
      if (both) {
        for (const key of ['x', 'y']) {
          expected.push({ key: `${keyPrefix}${key}`, token: both.fencingToken, kind: 'mutex' });
        }
      }
      const seen = ours.map((lease) => ({
        key: lease.key,
        token: lease.fencingToken,
        kind: lease.kind as string,
      }));
      const order = (a: { key: string; token: bigint }, b: { key: string; token: bigint }) =>
        a.key < b.key ? -1 : a.key > b.key ? 1 : a.token < b.token ? -1 : 1;
      assert.deepEqual(seen, [...expected].sort(order), 'the listing is not the held leases');
      assert.equal(listing.truncated, false);
      for (const lease of ours) {
        const left = lease.expiresAt - listing.now;
        assert.ok(left > 0 && left <= 10_000 + TTL_SLACK_MS, `${lease.key}: ${left} ms left`);
        assert.ok(lease.owner.length > 0, `${lease.key} has no owner`);
      }
      // Owners are the holders' own: the two permits have two owners, a multi-key hold one.
      const poolOwners = new Set(ours.filter((l) => l.kind === 'permit').map((l) => l.owner));
      if (backend.semaphore) assert.equal(poolOwners.size, 2);

      // A narrower prefix lists only its keys; a released lease is not listed.
      const other = await directory.list(`${keyPrefix}other/`, 100);
      assert.deepEqual(
        other.leases.map((lease) => [lease.key, lease.fencingToken]),
        [[`${keyPrefix}other/a`, outside.fencingToken]],
      );
      await held[0]!.release();
      const after = await directory.list(`${keyPrefix}a`, 100);
      assert.deepEqual(after.leases, [], 'a released lease is still listed');
    }),
  },
  {
    name: 'directory: lists at most the limit asked for, and says when it left some out',
    run: withDirectory(async ({ manager, keyPrefix }, directory) => {
      const locks = await manager();
      for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) await locks.acquire(key, { ttl: 10_000 });
      const some = await directory.list(keyPrefix, 3);
      assert.equal(some.leases.length, 3);
      assert.equal(some.truncated, true);
      const all = await directory.list(keyPrefix, 5);
      assert.equal(all.leases.length, 5);
      assert.equal(all.truncated, false);
    }),
  },
  {
    name: 'directory: leaves out a lease that expired, even before the store removed it',
    timeoutMs: 60_000,
    run: withDirectory(async ({ keyPrefix }, directory, backend) => {
      const ttlMs = backend.effectiveTtlMs?.(300) ?? 300;
      await backend.acquire(`${keyPrefix}short`, 'gone-owner', ttlMs);
      const listed = await directory.list(keyPrefix, 10);
      assert.deepEqual(
        listed.leases.map((lease) => lease.owner),
        ['gone-owner'],
      );
      await eventually('the expired lease leaving the listing', ttlMs + 20_000, async () => {
        return (await directory.list(keyPrefix, 10)).leases.length === 0;
      });
    }),
  },
  {
    name: 'directory: keeps each instance record, overwrites it, and forgets it when withdrawn',
    run: withDirectory(async ({ keyPrefix, backend: open }, directory) => {
      const big = `{"note":"${'é'.repeat(20_000)}"}`;
      await directory.announce(keyPrefix, 'instance-b', big, 10_000);
      await directory.announce(keyPrefix, 'instance-a', '{"v":1}', 10_000);
      await directory.announce(`${keyPrefix}other/`, 'instance-c', '{}', 10_000);
      // Another connection to the store sees them.
      const reader = (await open()).directory!;
      const first = await reader.instances(keyPrefix);
      assert.deepEqual(
        first.instances.map((record) => [record.id, record.payload]),
        [
          ['instance-a', '{"v":1}'],
          ['instance-b', big],
        ],
      );
      for (const record of first.instances) {
        const left = record.expiresAt - first.now;
        assert.ok(left > 0 && left <= 10_000 + TTL_SLACK_MS, `${record.id}: ${left} ms left`);
      }
      // Records are not leases.
      assert.deepEqual((await reader.list(keyPrefix, 100)).leases, []);

      await directory.announce(keyPrefix, 'instance-a', '{"v":2}', 10_000);
      await directory.withdraw(keyPrefix, 'instance-b');
      await directory.withdraw(keyPrefix, 'never-announced');
      const second = await reader.instances(keyPrefix);
      assert.deepEqual(
        second.instances.map((record) => [record.id, record.payload]),
        [['instance-a', '{"v":2}']],
      );
      const other = await reader.instances(`${keyPrefix}other/`);
      assert.deepEqual(
        other.instances.map((record) => record.id),
        ['instance-c'],
      );
    }),
  },
  {
    name: 'directory: an instance record that is not renewed expires',
    timeoutMs: 60_000,
    run: withDirectory(async ({ keyPrefix }, directory, backend) => {
      const ttlMs = backend.effectiveTtlMs?.(300) ?? 300;
      await directory.announce(keyPrefix, 'mortal', '{}', ttlMs);
      await directory.announce(keyPrefix, 'renewed', '{}', 30_000);
      assert.deepEqual(
        (await directory.instances(keyPrefix)).instances.map((record) => record.id),
        ['mortal', 'renewed'],
      );
      await eventually('the record expiring', ttlMs + 20_000, async () => {
        const ids = (await directory.instances(keyPrefix)).instances.map((record) => record.id);
        return ids.length === 1 && ids[0] === 'renewed';
      });
    }),
  },
];
