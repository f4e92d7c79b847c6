import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { PgQueryConfig, PgSessionClientLike } from '../../lib/backends/postgres/pg-client.js';
import { SessionQueue } from '../../lib/backends/postgres/postgres-advisory-queue.js';
import { AdvisorySession } from '../../lib/backends/postgres/postgres-advisory-session.js';
import { statement, text } from '../../lib/backends/postgres/postgres-statement.js';

const ping = statement({
  name: 'ping',
  text: 'SELECT $1::text AS v',
  params: [text],
  rows: 'one',
  columns: { v: text },
});

/** A client whose every query answers with `answer` (or rejects with it), and that counts ends. */
class FakeClient extends EventEmitter implements PgSessionClientLike {
  ends = 0;
  readonly queries: PgQueryConfig[] = [];
  constructor(private readonly answer: () => Promise<{ rows: unknown[] }>) {
    super();
  }
  async connect(): Promise<void> {}
  async query<Row>(config: PgQueryConfig): Promise<{ rows: Row[] }> {
    this.queries.push(config);
    return (await this.answer()) as { rows: Row[] };
  }
  async end(): Promise<void> {
    this.ends++;
  }
}

describe('AdvisorySession', () => {
  it('keeps the session through an SQL error, and ends it (reporting once) when an outcome is unknown', async () => {
    const answers = [
      () => Promise.resolve({ rows: [{ v: 'a' }] }),
      () => Promise.reject(Object.assign(new Error('syntax'), { code: '42601' })),
      () => Promise.reject(new Error('Query read timeout')),
      () => Promise.resolve({ rows: [{ v: 'b' }] }),
    ];
    const clients: FakeClient[] = [];
    const session = new AdvisorySession(() => {
      const client = new FakeClient(() => answers.shift()!());
      clients.push(client);
      return client;
    }, 'p');
    const ended: number[] = [];
    session.onEnd = (generation) => ended.push(generation);

    await expect(session.run(ping, ['x'])).resolves.toEqual({ rows: [{ v: 'a' }], generation: 1 });
    await expect(session.run(ping, ['x'])).rejects.toMatchObject({ code: '42601' });
    expect(ended).toEqual([]);
    expect(clients[0]!.ends).toBe(0);
    await expect(session.run(ping, ['x'])).rejects.toThrow('Query read timeout');
    // The timed-out statement may have taken a lock: the session was ended on purpose.
    expect(ended).toEqual([1]);
    expect(clients[0]!.ends).toBe(1);
    // A late 'end' of the old client reports nothing more.
    clients[0]!.emit('end');
    expect(ended).toEqual([1]);
    // The next call runs on a new session, of the next generation.
    await expect(session.run(ping, ['x'])).resolves.toEqual({ rows: [{ v: 'b' }], generation: 2 });
    expect(clients).toHaveLength(2);
    expect(clients[1]!.queries[0]!.name).toBe('p_ping');
  });

  it('reports a connection that broke by itself, and opens none after close', async () => {
    const client = new FakeClient(() => Promise.resolve({ rows: [{ v: 'a' }] }));
    const session = new AdvisorySession(() => client, 'p');
    const ended: number[] = [];
    session.onEnd = (generation) => ended.push(generation);
    await session.run(ping, ['x']);
    client.emit('error', new Error('ECONNRESET'));
    expect(ended).toEqual([1]);
    await session.close();
    await expect(session.run(ping, ['x'])).rejects.toThrow(/closed/);
  });
});

describe('SessionQueue', () => {
  it('runs one statement at a time, kinds in their order, and batches the calls that waited', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new SessionQueue();
    const frees = queue.kind<string, string>(async (items) => {
      log.push(`free ${items.join(',')}`);
      return items;
    });
    const takes = queue.kind<string, string>(async (items) => {
      log.push(`take ${items.join(',')}`);
      if (items.includes('a')) await gate;
      return items;
    });
    const first = takes.add('a');
    await new Promise((resolve) => setImmediate(resolve));
    // While 'a' is in flight, these wait and then go together, frees first.
    const later = [takes.add('b'), frees.add('x'), takes.add('c'), frees.add('y')];
    release();
    await expect(Promise.all([first, ...later])).resolves.toEqual(['a', 'b', 'x', 'c', 'y']);
    expect(log).toEqual(['take a', 'free x,y', 'take b,c']);
  });

  it('runs a call that came in while a round awaited a kind with nothing to do', async () => {
    // The drain's last round checks `early`, then awaits `late`'s empty turn; a call to `early`
    // made in that moment must not wait forever. Which microtask hits the moment depends on the
    // engine, so the call is made after 0 to 11 microtask hops.
    for (let hops = 0; hops < 12; hops++) {
      const queue = new SessionQueue();
      const early = queue.kind<string, string>(async (items) => items);
      const late = queue.kind<string, string>(async (items) => items);
      let call = late.add('1').then(() => 'hop');
      for (let i = 0; i < hops; i++) call = call.then((value) => value);
      const second = call.then(() => early.add(`e${hops}`));
      const settled = await Promise.race([
        second,
        new Promise((resolve) => setTimeout(() => resolve('stuck'), 50)),
      ]);
      expect(settled).toBe(`e${hops}`);
    }
  });
});
