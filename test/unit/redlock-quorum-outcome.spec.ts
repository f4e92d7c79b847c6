import { describe, expect, it } from '@jest/globals';
import {
  type AcquireVote,
  decideAcquire,
  decideInspect,
  decideOwnerCall,
  driftMs,
  type InspectVote,
  majorityExpiry,
  type NodeFailure,
  type OwnerVote,
  quorumOf,
} from '../../lib/backends/redlock/quorum-outcome.js';

const failure: NodeFailure = { reason: 'unreachable', cause: new Error('down') };
const granted: AcquireVote = { kind: 'granted', token: 7 };
const failed: AcquireVote = { kind: 'failed', failure };
const heldBy = (holder: string, pttlMs = 5_000): AcquireVote => ({
  kind: 'contended',
  holder,
  pttlMs,
});

describe('Redlock quorum arithmetic', () => {
  it('needs a strict majority', () => {
    expect([3, 5, 7].map(quorumOf)).toEqual([2, 3, 4]);
  });

  it('allows 1 % of the ttl plus 2 ms for clock drift', () => {
    expect(driftMs(10_000, 0.01)).toBe(102);
    expect(driftMs(100, 0.01)).toBe(3);
    expect(driftMs(10_000, 0)).toBe(2);
  });

  it('says a lease stops being held by a majority when the quorum-th latest expiry passes', () => {
    expect(majorityExpiry([500, 100, 400, 300, 200], 3)).toBe(300);
    expect(majorityExpiry([500, 400, 300], 3)).toBe(300);
  });
});

describe('decideAcquire', () => {
  it('grants as soon as a majority granted, without waiting for the rest', () => {
    expect(decideAcquire([granted, granted, granted, undefined, undefined], 3, false)).toEqual({
      kind: 'granted',
    });
    expect(decideAcquire([granted, granted, undefined, undefined, undefined], 3, false)).toBe(
      undefined,
    );
  });

  it('reports a key held by another owner on a majority, with when that majority frees', () => {
    const votes = [heldBy('x', 900), heldBy('x', 700), heldBy('x', 800), undefined, undefined];
    expect(decideAcquire(votes, 3, false)).toEqual({ kind: 'held', retryAfterMs: 700 });
    // Seen on all five, the holder keeps a majority until the third shortest lease runs out.
    const all = [100, 200, 300, 400, 500].map((pttl) => heldBy('x', pttl));
    expect(decideAcquire(all, 3, false)).toEqual({ kind: 'held', retryAfterMs: 300 });
  });

  it('does not give a retry time for a holder whose key has no expiry', () => {
    const votes = [heldBy('x', -1), heldBy('x'), heldBy('x'), granted, granted];
    expect(decideAcquire(votes, 3, false)).toEqual({ kind: 'held', retryAfterMs: undefined });
  });

  it('waits for every node before calling it a split, then calls it one', () => {
    const partial = [granted, heldBy('a'), heldBy('b'), undefined, undefined];
    expect(decideAcquire(partial, 3, false)).toBe(undefined);
    const split = [granted, granted, heldBy('a'), heldBy('a'), heldBy('b')];
    expect(decideAcquire(split, 3, false)).toEqual({ kind: 'split' });
  });

  it('fails once more nodes failed than a majority can spare', () => {
    const votes = [failed, failed, failed, undefined, undefined];
    expect(decideAcquire(votes, 3, false)).toEqual({ kind: 'failed' });
  });

  it('counts silent nodes as failures in the final decision', () => {
    expect(decideAcquire([granted, granted, undefined, undefined, undefined], 3, true)).toEqual({
      kind: 'failed',
    });
    expect(decideAcquire([granted, granted, heldBy('a'), undefined, undefined], 3, true)).toEqual({
      kind: 'split',
    });
  });

  it('calls a vote split by contenders a split even with a node down, so that it is retried', () => {
    const votes = [heldBy('a', 400), heldBy('a', 300), granted, granted, failed];
    expect(decideAcquire(votes, 3, false)).toEqual({ kind: 'split' });
  });
});

describe('decideOwnerCall (extend, release)', () => {
  const done: OwnerVote = { kind: 'done', expiresAt: 1 };
  const notHeld: OwnerVote = { kind: 'not-held' };
  const down: OwnerVote = { kind: 'failed', failure };

  it('is done on a majority, even with a node down', () => {
    expect(decideOwnerCall([done, done, done, down, undefined], 3, false)).toBe('done');
  });

  it('is not held once too many nodes say so for a majority to remain', () => {
    expect(decideOwnerCall([notHeld, notHeld, notHeld, undefined, undefined], 3, false)).toBe(
      'not-held',
    );
  });

  it('waits while the missing answers could still decide it', () => {
    expect(decideOwnerCall([done, done, notHeld, notHeld, undefined], 3, false)).toBe(undefined);
    expect(decideOwnerCall([notHeld, notHeld, down, undefined, undefined], 3, false)).toBe(
      undefined,
    );
  });

  it('fails when the failures leave it unknown', () => {
    expect(decideOwnerCall([done, done, down, down, down], 3, false)).toBe('failed');
    expect(decideOwnerCall([done, done, notHeld, notHeld, undefined], 3, true)).toBe('failed');
  });
});

describe('decideInspect', () => {
  const held = (owner: string, token: bigint): InspectVote => ({
    kind: 'held',
    owner,
    token,
    expiresAt: 1,
  });
  const free: InspectVote = { kind: 'free' };
  const down: InspectVote = { kind: 'failed', failure };

  it('finds the owner that holds a majority', () => {
    const decision = decideInspect(
      [held('a', 2n), held('a', 2n), held('a', 2n), free, free],
      3,
      false,
    );
    expect(decision).toMatchObject({ kind: 'held', owner: 'a' });
  });

  it('is free when no owner can reach a majority', () => {
    expect(decideInspect([free, free, free, undefined, undefined], 3, false)).toEqual({
      kind: 'free',
    });
    expect(decideInspect([held('a', 1n), held('b', 1n), free, free, down], 3, false)).toEqual({
      kind: 'free',
    });
  });

  it('fails when the unknown nodes could make an owner a majority', () => {
    expect(decideInspect([held('a', 1n), held('a', 1n), down, down, down], 3, false)).toEqual({
      kind: 'failed',
    });
  });
});
