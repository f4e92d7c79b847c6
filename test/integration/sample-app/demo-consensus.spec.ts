import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type DemoResult, runDemo } from '../../../sample-app/demo/run-demo.js';
import { ETCD_URL, PG_URL, REDIS_URL, ZK_CONNECT } from '../../support/servers.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'sample-app/dist/src/main.js');

describe.each(['zookeeper', 'etcd'] as const)(
  'the demo with its locks on %s: @Locked orders and the @SingletonCron report across three processes',
  (lockStore) => {
    const schema = `sample_${lockStore}_${Math.random().toString(36).slice(2, 10)}`;
    const logDir = mkdtempSync(join(tmpdir(), `locker-demo-${lockStore}-`));
    let result: DemoResult;

    beforeAll(async () => {
      execFileSync(
        process.execPath,
        ['node_modules/typescript/bin/tsc', '-p', 'sample-app/tsconfig.json'],
        { cwd: ROOT, stdio: 'inherit' },
      );
      result = await runDemo({
        main: MAIN,
        lockStore,
        redisUrl: REDIS_URL,
        zookeeperConnect: ZK_CONNECT,
        etcdEndpoints: [ETCD_URL],
        databaseUrl: PG_URL,
        dbSchema: schema,
        ports: [0, 0, 0],
        logDir,
        progress: () => undefined,
      });
    }, 120_000);

    afterAll(async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      rmSync(logDir, { recursive: true, force: true });
    });

    it('passes every check of the steps the store offers, and skips the others', () => {
      expect(result.checks.filter((check) => !check.ok)).toEqual([]);
      // No deadlock detection and no shared results on this store: those steps did not run.
      expect(result.deadlock).toBeUndefined();
      expect(result.cache).toBeUndefined();
    });

    it('answers one 201 and two 409 for each order sent to the three instances at once', () => {
      const { orders, created, inFlight409, placed409 } = result.duplicates;
      expect(created).toBe(orders);
      expect(inFlight409 + placed409).toBe(2 * orders);
    });

    it('never oversells', () => {
      const left = Object.values(result.finalStock);
      expect(left).toHaveLength(3);
      const items = result.rush.items + result.duplicates.created;
      expect(left.reduce((a, b) => a + b, 0)).toBe(3 * result.initialStock - items);
    });

    it('moves the report job to another instance after a kill -9 mid-run', () => {
      expect(result.takeover).toBeDefined();
      expect(result.takeover!.successor).not.toBe(result.takeover!.victim);
    });
  },
);
