import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedlockLockBackend, RedlockQuorumError } from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { TestRedisServer } from '../support/redis-server.js';
import { testPort } from '../support/servers.js';

const PORTS = [6472, 6473, 6474, 6475, 6476].map(testPort);

describe('RedlockQuorumError with three of five nodes known to be down', () => {
  const servers = PORTS.map((port) => new TestRedisServer(port));
  let store: RedlockLockBackend;

  beforeAll(() => {
    for (const server of servers) server.start();
    store = new RedlockLockBackend({
      nodes: servers.map((server) => server.url),
      onWarning: false,
    });
  });
  afterAll(async () => {
    for (const server of servers) server.start();
    await store.close();
    for (const server of servers) server.stop();
  });

  it('names the down nodes unreachable and the live ones not sent, never timed out', async () => {
    const key = `report:${uniqueId()}`;
    await store.inspect(key);
    for (const i of [0, 2, 4]) servers[i]!.stop();
    // Until the clients have seen their connections drop (at once, bounded generously).
    let error: RedlockQuorumError | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      error = (await store.acquire(key, 'me', 5_000).catch((e: unknown) => e)) as
        | RedlockQuorumError
        | undefined;
      if (error?.nodes?.every((node) => node.outcome !== 'granted')) break;
      await sleep(50);
    }
    expect(error).toBeInstanceOf(RedlockQuorumError);
    expect(error!.nodes.map((node) => node.outcome)).toEqual([
      'unreachable',
      'not-sent',
      'unreachable',
      'not-sent',
      'unreachable',
    ]);
    expect(error!.message).toContain('0 of 5 nodes answered, a decision needs 3');
    expect(error!.message).toContain(`127.0.0.1:${PORTS[1]} not-sent (not asked`);
    expect(error!.message).not.toContain('timeout');
    expect(error!.nodes[0]!.cause?.message).toContain('ECONNREFUSED');
  });
});
