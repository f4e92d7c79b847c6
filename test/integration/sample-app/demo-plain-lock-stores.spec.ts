import { describe, expect, it } from '@jest/globals';
import { demoRunFor } from '../../support/sample-demo.js';
import { ETCD_URL, ZK_CONNECT } from '../../support/servers.js';

// The stores that offer plain locks but neither deadlock detection nor shared results.
describe.each(['postgres-advisory', 'zookeeper', 'etcd'] as const)(
  'the demo with its locks on %s: @Locked orders and the @SingletonCron report across three processes',
  (lockStore) => {
    const demo = demoRunFor(lockStore, {
      lockStore,
      zookeeperConnect: ZK_CONNECT,
      etcdEndpoints: [ETCD_URL],
    });

    it('passes every check of the steps the store offers, and skips the others', () => {
      expect(demo().checks.filter((check) => !check.ok)).toEqual([]);
      // No deadlock detection and no shared results on this store: those steps did not run.
      expect(demo().deadlock).toBeUndefined();
      expect(demo().cache).toBeUndefined();
    });

    it('answers one 201 and two 409 for each order sent to the three instances at once', () => {
      const { orders, created, inFlight409, placed409 } = demo().duplicates;
      expect(created).toBe(orders);
      expect(inFlight409 + placed409).toBe(2 * orders);
    });

    it('never oversells', () => {
      const left = Object.values(demo().finalStock);
      expect(left).toHaveLength(3);
      const items = demo().rush.items + demo().duplicates.created;
      expect(left.reduce((a, b) => a + b, 0)).toBe(3 * demo().initialStock - items);
    });

    it('moves the report job to another instance after a kill -9 mid-run', () => {
      expect(demo().takeover).toBeDefined();
      expect(demo().takeover!.successor).not.toBe(demo().takeover!.victim);
    });
  },
);
