import { describe, expect, it } from '@jest/globals';
import type { RedisClientLike } from '../../lib/backends/redis/redis-client.js';
import { RedisScript } from '../../lib/backends/redis/redis-script.js';
import { RedisScriptReplyError } from '../../lib/backends/redis/redis-script-reply.error.js';
import { QuorumNode } from '../../lib/backends/redlock/quorum-node.js';
import { type NodeAnswer, runQuorumRound } from '../../lib/backends/redlock/quorum-round.js';
import { Deadlines } from '../../lib/backends/shared/deadlines.js';

/** A node whose replies the test gives by hand; `status` as ioredis reports it. */
function fakeNode(label: string, status: string) {
  const pending: ((reply: unknown) => void)[] = [];
  const client = {
    status,
    evalsha: () => new Promise((resolve) => pending.push(resolve)),
    eval: () => new Promise((resolve) => pending.push(resolve)),
    duplicate: () => client,
  } as unknown as RedisClientLike;
  const node = new QuorumNode({ kind: 'client', label, client }, 0);
  return { node, reply: (value: unknown) => pending.shift()?.(value), sent: () => pending.length };
}

const SCRIPT = new RedisScript<undefined, number>({
  name: 'test',
  source: 'return 1',
  call: () => ({ keys: ['k'], args: [] }),
  reply: (raw) => (typeof raw === 'number' ? raw : undefined),
  returns: 'a number',
});

function round(
  nodes: QuorumNode[],
  settled: (i: number, ok: boolean) => boolean,
  deadlineMs = 60_000,
) {
  return runQuorumRound({
    nodes,
    script: SCRIPT,
    input: undefined,
    disconnected: 'skip',
    deadlines: new Deadlines(),
    deadlineMs,
    settled: (i, answer) => settled(i, answer.ok),
  });
}

describe('runQuorumRound', () => {
  it('says a live node was not sent the call when the nodes out of reach decided it', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((label, i) =>
      fakeNode(label, i % 2 === 0 ? 'reconnecting' : 'ready'),
    );
    let failed = 0;
    const silence = await round(
      nodes.map((n) => n.node),
      (_i, ok) => !ok && ++failed >= 3,
    );
    expect(silence.map((failure) => failure?.reason)).toEqual([
      undefined,
      'not-sent',
      undefined,
      'not-sent',
      undefined,
    ]);
    expect(silence[1]?.unsent).toBe(true);
    expect(nodes[1]!.sent()).toBe(0);
  });

  it('says a node had not answered yet when the others decided the call', async () => {
    const nodes = ['a', 'b', 'c'].map((label) => fakeNode(label, 'ready'));
    let granted = 0;
    const ended = round(
      nodes.map((n) => n.node),
      (_i, ok) => ok && ++granted >= 2,
    );
    nodes[0]!.reply(1);
    nodes[2]!.reply(1);
    const silence = await ended;
    expect(silence.map((failure) => failure?.reason)).toEqual([undefined, 'unanswered', undefined]);
    expect(silence[1]?.unsent).toBeUndefined();
  });

  it('says a node timed out only when the deadline passed', async () => {
    const nodes = ['a', 'b'].map((label) => fakeNode(label, 'ready'));
    const ended = round(
      nodes.map((n) => n.node),
      () => false,
      20,
    );
    nodes[0]!.reply(1);
    const silence = await ended;
    expect(silence.map((failure) => failure?.reason)).toEqual([undefined, 'timeout']);
    expect(silence[1]?.cause.message).toContain('20 ms');
  });

  it('says a node past the deadline was unreachable when it was only trying to reconnect', async () => {
    // A server that is down leaves its client cycling between `reconnecting` and `connecting`; a
    // deadline that passes during `connecting` met no server at all (a CI run reported it as
    // `timeout`).
    const nodes = [fakeNode('a', 'ready'), fakeNode('b', 'connecting'), fakeNode('c', 'connect')];
    const ended = round(
      nodes.map((n) => n.node),
      () => false,
      20,
    );
    nodes[0]!.reply(1);
    const silence = await ended;
    expect(silence.map((failure) => failure?.reason)).toEqual([
      undefined,
      'unreachable',
      'timeout',
    ]);
    expect(silence[1]?.cause.message).toContain('not connected (connecting)');
  });

  it('counts a reply of the wrong shape as a failed node, naming the script', async () => {
    const nodes = ['a', 'b', 'c'].map((label) => fakeNode(label, 'ready'));
    const answers: NodeAnswer<number>[] = [];
    const ended = runQuorumRound({
      nodes: nodes.map((n) => n.node),
      script: SCRIPT,
      input: undefined,
      disconnected: 'skip',
      deadlines: new Deadlines(),
      deadlineMs: 60_000,
      settled: (i, answer) => {
        answers[i] = answer;
        return false;
      },
    });
    nodes[0]!.reply(1);
    nodes[1]!.reply('not a number');
    nodes[2]!.reply(1);
    await ended;
    expect(answers[0]).toEqual({ ok: true, value: 1 });
    const failed = answers[1]!;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.failure.reason).toBe('error');
    expect(failed.failure.cause).toBeInstanceOf(RedisScriptReplyError);
    expect(failed.failure.cause.message).toContain('"test" script');
  });
});
