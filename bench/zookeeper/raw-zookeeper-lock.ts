import zookeeper from 'node-zookeeper-client';
import type { HeldLock, LockAdapter } from '../contestants/lock-adapter.js';

const call = <T>(send: (done: (error: unknown, value: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) =>
    send((error, value) => (error ? reject(error) : resolve(value))),
  );

/** A connected `node-zookeeper-client` client. */
export async function connectedClient(connect: string): Promise<zookeeper.Client> {
  const client = zookeeper.createClient(connect, { sessionTimeout: 10_000, spinDelay: 100 });
  const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
  client.connect();
  await connected;
  return client;
}

/**
 * The ZooKeeper lock recipe with nothing added, as the baseline of the ZooKeeper scenario: create
 * an `EPHEMERAL_SEQUENTIAL` node under the key's parent, list the children; the lowest holds;
 * otherwise watch the node just ahead and list again when it goes. Release deletes the node. No
 * lease (the lock lasts as long as the session), no fencing token, no owner check, no idempotent
 * retry. One client (session) per `sessions` workers, chosen by key.
 */
export async function rawZooKeeperLock(connect: string, sessions: number): Promise<LockAdapter> {
  const clients = await Promise.all(
    Array.from({ length: sessions }, () => connectedClient(connect)),
  );
  const root = `/bench-raw-${process.pid}`;
  await call<string>((done) => clients[0]!.mkdirp(root, done));
  const parents = new Set<string>();
  let next = 0;
  return {
    name: 'raw node-zookeeper-client recipe',
    description: `\`create\` (EPHEMERAL_SEQUENTIAL), \`getChildren\`; the lowest holds, else an exists-watch on the node just ahead; \`remove\` releases. ${sessions} session(s). The baseline: no lease, no fencing token.`,
    async acquire(key): Promise<HeldLock> {
      const client = clients[next++ % clients.length]!;
      const parent = `${root}/${encodeURIComponent(key)}`;
      if (!parents.has(parent)) {
        await call<string>((done) => client.mkdirp(parent, done));
        parents.add(parent);
      }
      const path = await call<string>((done) =>
        client.create(`${parent}/n-`, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, done),
      );
      const name = path.slice(parent.length + 1);
      for (;;) {
        const children = (await call<string[]>((done) => client.getChildren(parent, done))).sort();
        const at = children.indexOf(name);
        if (at === 0) break;
        const ahead = `${parent}/${children[at - 1]}`;
        const gone = new Promise<void>((resolve) => {
          client.exists(
            ahead,
            (event) => {
              if (event.getType() === zookeeper.Event.NODE_DELETED) resolve();
            },
            (error, stat) => {
              if (error || !stat) resolve();
            },
          );
        });
        await gone;
      }
      return {
        release: () =>
          call<void>((done) => client.remove(path, -1, (error) => done(error, undefined))),
      };
    },
    async close() {
      for (const client of clients) client.close();
    },
  };
}
