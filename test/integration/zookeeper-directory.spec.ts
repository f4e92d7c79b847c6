import { afterEach, describe, expect, it } from '@jest/globals';
import { ZooKeeperLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { ZK_CONNECT } from '../support/servers.js';

describe('ZooKeeperLockBackend directory', () => {
  const opened: ZooKeeperLockBackend[] = [];
  /** A backend on a root path of its own: every key under it is this test's. */
  const backend = (rootPath = `/dir-${uniqueId()}`): ZooKeeperLockBackend => {
    const created = new ZooKeeperLockBackend({ connectionString: ZK_CONNECT, rootPath });
    opened.push(created);
    return created;
  };
  const granted = { acquired: true };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
  });

  it('lists keys holding "/", "%", "." and non-ASCII characters by their exact prefix', async () => {
    const store = backend();
    const keys = ['a/b', 'a/b/c', 'a/b%2Fc', 'a/bé', 'a/b.d', 'a/c', 'a%b', 'é/x', '.directory'];
    for (const key of keys) {
      await expect(store.acquire(key, `owner-${key}`, 10_000)).resolves.toMatchObject(granted);
    }
    const listed = async (prefix: string) =>
      (await store.directory.list(prefix, 100)).leases.map((lease) => [lease.key, lease.owner]);
    expect(await listed('a/b')).toEqual(
      ['a/b', 'a/b%2Fc', 'a/b.d', 'a/b/c', 'a/bé'].map((key) => [key, `owner-${key}`]),
    );
    expect(await listed('a%')).toEqual([['a%b', 'owner-a%b']]);
    expect(await listed('é')).toEqual([['é/x', 'owner-é/x']]);
    expect(await listed('.')).toEqual([['.directory', 'owner-.directory']]);
    expect((await listed('')).length).toBe(keys.length);
  });

  it('lists the holder of a fair key, not its waiters', async () => {
    const store = backend();
    const fair = { ticketTtlMs: 10_000, join: true };
    await expect(store.fair.acquire('queue', 'first', 10_000, fair)).resolves.toMatchObject(
      granted,
    );
    await expect(store.fair.acquire('queue', 'second', 10_000, fair)).resolves.toMatchObject({
      acquired: false,
    });
    const listed = await store.directory.list('queue', 10);
    expect(listed.leases.map((lease) => [lease.owner, lease.kind])).toEqual([['first', 'mutex']]);
  });

  it('never lists an instance record as a lease, even listing every key of the root', async () => {
    const store = backend();
    await store.directory.announce('', 'instance', '{}', 10_000);
    await store.acquire('a', 'owner', 10_000);
    expect((await store.directory.list('', 10)).leases.map((lease) => lease.key)).toEqual(['a']);
    expect((await store.directory.instances('')).instances.map((record) => record.id)).toEqual([
      'instance',
    ]);
  });

  it("keeps a record announced again by a new session when the first session ends, and drops a closed session's record", async () => {
    const rootPath = `/dir-${uniqueId()}`;
    const before = backend(rootPath);
    const after = backend(rootPath);
    const reader = backend(rootPath);
    await before.directory.announce('p/', 'restarted', '{"v":1}', 30_000);
    await before.directory.announce('p/', 'stopped', '{}', 30_000);
    await after.directory.announce('p/', 'restarted', '{"v":2}', 30_000);
    await before.close();
    const records = await reader.directory.instances('p/');
    expect(records.instances.map((record) => [record.id, record.payload])).toEqual([
      ['restarted', '{"v":2}'],
    ]);
  });
});
