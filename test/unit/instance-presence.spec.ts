import { describe, expect, it } from '@jest/globals';
import { InvalidLockOptionsError } from '../../lib/contract/errors.js';
import type { LockDirectory } from '../../lib/contract/lock-directory.js';
import { MAX_INSTANCE_PAYLOAD_BYTES } from '../../lib/contract/lock-directory.js';
import { InstancePresence } from '../../lib/manager/instance-presence.js';
import { parseInstancePayload } from '../../lib/manager/instance-record.js';
import { LockActivity } from '../../lib/manager/lock-activity.js';
import { LockEventEmitter } from '../../lib/manager/lock-events.js';
import {
  isInstanceId,
  newInstanceId,
  newOwnerToken,
  ownerInstance,
} from '../../lib/manager/owner-token.js';
import { resolveInstanceId, resolvePresence } from '../../lib/manager/presence-settings.js';
import { ManualClock } from '../../lib/testing/index.js';

describe('instance ids and owner tokens', () => {
  it('starts every owner token with the instance id, and reads it back', () => {
    const id = newInstanceId();
    expect(isInstanceId(id)).toBe(true);
    const token = newOwnerToken(`${id}-`);
    expect(token).toMatch(new RegExp(`^${id}-[0-9a-f]{32}$`));
    expect(ownerInstance(token)).toBe(id);
    expect(ownerInstance('0123456789abcdef0123456789abcdef')).toBeUndefined();
    expect(ownerInstance('-abc')).toBeUndefined();
    expect(ownerInstance('bad id-abc')).toBeUndefined();
  });

  it('refuses an instance id that would not end at the first "-"', () => {
    expect(resolveInstanceId('web_1')).toBe('web_1');
    for (const bad of ['', 'web-1', 'a b', 'x'.repeat(65), 7]) {
      expect(() => resolveInstanceId(bad)).toThrow(InvalidLockOptionsError);
    }
  });
});

describe('presence options', () => {
  it('is off unless asked for, with a 2 s default interval', () => {
    expect(resolvePresence(undefined)).toBeUndefined();
    expect(resolvePresence(false)).toBeUndefined();
    expect(resolvePresence(true)?.intervalMs).toBe(2_000);
    expect(resolvePresence({ appName: 'shop', interval: '5s' })).toEqual({
      appName: 'shop',
      intervalMs: 5_000,
    });
  });

  it('refuses bad values with an error naming the option', () => {
    expect(() => resolvePresence('yes')).toThrow(/presence/);
    expect(() => resolvePresence({ appName: '' })).toThrow(/presence\.appName/);
    expect(() => resolvePresence({ interval: 100 })).toThrow(/presence\.interval/);
    expect(() => resolvePresence({ interval: 'soon' })).toThrow(InvalidLockOptionsError);
  });
});

describe('InstancePresence', () => {
  const writes: { id: string; payload: string; ttlMs: number }[] = [];
  const directory: LockDirectory = {
    list: async () => ({ leases: [], truncated: false, now: 0 }),
    announce: async (_prefix, id, payload, ttlMs) => {
      writes.push({ id, payload, ttlMs });
    },
    withdraw: async () => undefined,
    instances: async () => ({ instances: [], now: 0 }),
  };

  it('cuts the lists of a very busy instance so the record stays within the payload limit', async () => {
    const clock = new ManualClock();
    const many = Array.from({ length: 2_000 }, (_, i) => ({
      keys: [`order:${'x'.repeat(40)}:${i}`],
      fencingToken: BigInt(i),
      heldMs: 10,
    }));
    const presence = new InstancePresence({
      directory,
      prefix: 'locker:',
      id: 'alpha',
      appName: 'shop',
      intervalMs: 1_000,
      clock,
      activity: new LockActivity(new LockEventEmitter(), () => clock.wallNow()),
      held: () => many,
      waiting: () => [],
    });
    const text = presence.payload();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_INSTANCE_PAYLOAD_BYTES);
    const payload = parseInstancePayload(text)!;
    expect(payload.partial).toBe(true);
    expect(payload.held.length).toBeGreaterThan(100);
    expect(payload.held[0]).toEqual({
      keys: [many[0]!.keys[0]],
      token: '0',
      since: clock.wallNow() - 10,
    });

    presence.start();
    await presence.refresh();
    expect(writes.at(-1)).toMatchObject({ id: 'alpha', ttlMs: 3_000 });
    await presence.stop();
  });
});

describe('LockActivity', () => {
  it('keeps the newest events and ticks, bounded', () => {
    let now = 0;
    const activity = new LockActivity(new LockEventEmitter(), () => now);
    for (let i = 0; i < 80; i++) {
      now = i;
      activity.record('renewalFailed', `failure ${i}`, 'k');
      activity.recordTick('job', { at: i * 60_000, outcome: 'succeeded', durationMs: 1 });
    }
    expect(activity.events()).toHaveLength(50);
    expect(activity.events()[0]!.message).toBe('failure 79');
    const [job] = activity.ticks();
    expect(job!.ticks).toHaveLength(20);
    expect(job!.ticks[0]!.at).toBe(79 * 60_000);
    activity.recordTick('job', { at: 79 * 60_000, outcome: 'failed', error: 'e'.repeat(1_000) });
    expect(activity.ticks()[0]!.ticks[0]!.error).toHaveLength(300);
  });
});
