import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { type DemoResult, runDemo } from '../../../sample-app/demo/run-demo.js';
import { PG_URL, REDIS_URL } from '../../support/servers.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'sample-app/dist/src/main.js');

describe('npm run demo: three sample-app processes on real Redis and Postgres', () => {
  const schema = `sample_test_${Math.random().toString(36).slice(2, 10)}`;
  const logDir = mkdtempSync(join(tmpdir(), 'locker-demo-test-'));
  let result: DemoResult;

  beforeAll(async () => {
    // The sample app imports 'nestjs-locker' by name, which resolves to dist/ (built by the global
    // setup); it is compiled into sample-app/dist, inside the package, for that to hold.
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'sample-app/tsconfig.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
    result = await runDemo({
      main: MAIN,
      redisUrl: REDIS_URL,
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

  it('passes every check of the demo', () => {
    expect(result.checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('answers one 201 and two 409 for each order sent to the three instances at once', () => {
    const { orders, created, inFlight409, placed409 } = result.duplicates;
    expect(created).toBe(orders);
    expect(inFlight409 + placed409).toBe(2 * orders);
  });

  it('never oversells: final stock is initial − accepted items, never negative', () => {
    const left = Object.values(result.finalStock);
    expect(left).toHaveLength(3);
    for (const stock of left) expect(stock).toBeGreaterThanOrEqual(0);
    const items = result.rush.items + result.duplicates.created;
    expect(left.reduce((a, b) => a + b, 0)).toBe(3 * result.initialStock - items);
    expect(result.rush.accepted + result.rush.outOfStock).toBe(result.rush.orders);
  });

  it('merges concurrent refreshes into one rebuild, and breaks the opposite transfers deadlock', () => {
    expect(result.cache?.rebuilds).toBe(1);
    expect(result.cache?.results).toHaveLength(1);
    expect(
      result.deadlock?.first.filter((line) => line.endsWith('409 LOCK_DEADLOCK')),
    ).toHaveLength(1);
    expect(result.deadlock?.retried.every((line) => line.endsWith(': 201'))).toBe(true);
  });

  it('moves the report job to another instance after a kill -9 mid-run', () => {
    expect(result.takeover).toBeDefined();
    expect(result.takeover!.successor).not.toBe(result.takeover!.victim);
  });
});
