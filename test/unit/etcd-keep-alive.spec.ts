import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type {
  EtcdClientLike,
  EtcdDuplexLike,
  EtcdKeepAliveResponse,
} from '../../lib/backends/etcd/etcd-client.js';
import { EtcdContext } from '../../lib/backends/etcd/etcd-context.js';
import { keepAlive } from '../../lib/backends/etcd/etcd-keep-alive.js';

/** How one opened keep-alive stream behaves: it fails with a gRPC code, or answers each lease. */
type StreamPlan = { fail: number } | { ttlSeconds: number };

/** A keep-alive stream that follows `plan` once its requests are written. */
function plannedStream(plan: StreamPlan): EtcdDuplexLike<{ ID: string }, EtcdKeepAliveResponse> {
  const events = new EventEmitter();
  return {
    on: (event: string, listener: (...args: unknown[]) => void) => events.on(event, listener),
    write: ({ ID }) => {
      setImmediate(() => {
        if ('fail' in plan) {
          events.emit('error', Object.assign(new Error(`${plan.fail} gRPC`), { code: plan.fail }));
        } else {
          events.emit('data', { ID, TTL: String(plan.ttlSeconds) });
        }
      });
    },
    end: () => undefined,
    cancel: () => undefined,
  } as EtcdDuplexLike<{ ID: string }, EtcdKeepAliveResponse>;
}

/** A context whose client opens the planned streams in turn, and counts them. */
function contextWith(plans: readonly StreamPlan[]): { context: EtcdContext; opened: () => number } {
  let opened = 0;
  const client = {
    leaseClient: {
      leaseKeepAlive: async () => plannedStream(plans[Math.min(opened++, plans.length - 1)]!),
    },
  } as unknown as EtcdClientLike;
  const context = new EtcdContext({
    client,
    ownsClient: false,
    prefix: 'p/',
    commandTimeoutMs: 5_000,
  });
  return { context, opened: () => opened };
}

const UNAVAILABLE = 14;

describe('etcd keep-alive', () => {
  it('opens the stream again while members answer UNAVAILABLE (a random pick can land on a dead member many times)', async () => {
    const plans: StreamPlan[] = [
      ...Array.from({ length: 10 }, () => ({ fail: UNAVAILABLE })),
      { ttlSeconds: 7 },
    ];
    const { context, opened } = contextWith(plans);
    const renewals = await keepAlive(context, ['1', '2', '1']);
    expect(opened()).toBe(11);
    expect(renewals.get('1')?.ttlMs).toBe(7_000);
    expect(renewals.get('2')?.ttlMs).toBe(7_000);
  });

  it('gives up after its attempts when every one is UNAVAILABLE', async () => {
    const { context, opened } = contextWith([{ fail: UNAVAILABLE }]);
    await expect(keepAlive(context, ['1'])).rejects.toMatchObject({ code: UNAVAILABLE });
    expect(opened()).toBe(24);
  });

  it('does not retry any other failure', async () => {
    const PERMISSION_DENIED = 7;
    const { context, opened } = contextWith([{ fail: PERMISSION_DENIED }, { ttlSeconds: 7 }]);
    await expect(keepAlive(context, ['1'])).rejects.toMatchObject({ code: PERMISSION_DENIED });
    expect(opened()).toBe(1);
  });
});
