import { afterEach, describe, expect, it } from '@jest/globals';
import { EtcdLockBackend } from '../../lib/index.js';
import { uniqueId } from '../support/async.js';
import { ETCD_URL } from '../support/servers.js';

describe('EtcdLockBackend directory', () => {
  const opened: EtcdLockBackend[] = [];
  /** A backend on a `prefix` of its own: the whole record range of the backend is this test's. */
  const backend = (prefix = `dir-${uniqueId()}/`): EtcdLockBackend => {
    const created = new EtcdLockBackend({ endpoints: ETCD_URL, prefix });
    opened.push(created);
    return created;
  };
  const granted = { acquired: true };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
  });

  it('lists keys holding "/", "%" and non-ASCII characters by their exact prefix', async () => {
    const store = backend();
    const keys = ['a/b', 'a/b/c', 'a/b%2Fc', 'a/bé', 'a/c', 'a%b', 'é/x'];
    for (const key of keys) {
      await expect(store.acquire(key, `owner-${key}`, 10_000)).resolves.toMatchObject(granted);
    }
    const listed = async (prefix: string) =>
      (await store.directory.list(prefix, 100)).leases.map((lease) => [lease.key, lease.owner]);
    expect(await listed('a/b')).toEqual(
      ['a/b', 'a/b%2Fc', 'a/b/c', 'a/bé'].map((key) => [key, `owner-${key}`]),
    );
    expect(await listed('a%')).toEqual([['a%b', 'owner-a%b']]);
    expect(await listed('é')).toEqual([['é/x', 'owner-é/x']]);
    expect((await listed('')).length).toBe(keys.length);
  });

  it('lists the holder of a fair key, not its waiters, and then the head it is handed to with the token it will hold', async () => {
    const store = backend();
    const fair = { ticketTtlMs: 10_000, join: true };
    const first = await store.fair.acquire('queue', 'first', 10_000, fair);
    expect(first).toMatchObject(granted);
    await expect(store.fair.acquire('queue', 'second', 10_000, fair)).resolves.toMatchObject({
      acquired: false,
    });
    const held = await store.directory.list('queue', 10);
    expect(held.leases.map((lease) => lease.owner)).toEqual(['first']);

    await store.fair.release('queue', 'first');
    const handed = await store.directory.list('queue', 10);
    expect(handed.leases.map((lease) => [lease.owner, lease.kind])).toEqual([['second', 'mutex']]);
    const taken = await store.fair.acquire('queue', 'second', 10_000, fair);
    expect(taken).toMatchObject(granted);
    if (!taken.acquired) return;
    expect(handed.leases[0]!.fencingToken).toBe(taken.fencingToken);
  });

  it('never lists an instance record as a lease, even listing every key of the backend', async () => {
    const store = backend();
    await store.directory.announce('', 'instance', '{}', 10_000);
    await store.directory.announce('a', 'b', '{}', 10_000);
    await store.acquire('a', 'owner', 10_000);
    expect((await store.directory.list('', 10)).leases.map((lease) => lease.key)).toEqual(['a']);
    expect((await store.directory.instances('')).instances.map((record) => record.id)).toEqual([
      'instance',
    ]);
    expect((await store.directory.instances('a')).instances.map((record) => record.id)).toEqual([
      'b',
    ]);
  });

  it('keeps the records of backends on different prefixes apart', async () => {
    const one = backend();
    const other = backend();
    await one.acquire('shared-name', 'one', 10_000);
    await one.directory.announce('p/', 'i', '{}', 10_000);
    expect((await other.directory.list('', 10)).leases).toEqual([]);
    expect((await other.directory.instances('p/')).instances).toEqual([]);
  });
});
