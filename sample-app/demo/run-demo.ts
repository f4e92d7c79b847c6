import { setTimeout as sleep } from 'node:timers/promises';
import { type AppInstance, startAppInstance, stopAppInstance } from './app-instance.js';
import { checkDashboard } from './dashboard-check.js';
import {
  type Check,
  checkDuplicateOrders,
  checkEveryTickOnce,
  checkNoOverlap,
  checkNoTickTwice,
  checkStock,
} from './demo-checks.js';
import { type MergedRebuild, mergedRebuild } from './merged-rebuild.js';
import { killRunningInstance } from './report-takeover.js';
import { placeOrder } from './shop-client.js';
import { ShopDatabase } from './shop-database.js';
import { opposingTransfers, type TransferDeadlock } from './transfer-deadlock.js';

/** Where and how to run the demo. */
export interface DemoOptions {
  /** The compiled sample app, `sample-app/dist/src/main.js`. */
  readonly main: string;
  /**
   * Where the instances keep their locks: Redis (the default), the data's Postgres (durable leases
   * or the advisory mode), ZooKeeper or etcd. The advisory mode, ZooKeeper and etcd neither detect
   * deadlocks nor keep shared results, so the demo skips the opposite transfers and the catalog
   * there (the app runs without its catalog).
   */
  readonly lockStore?: DemoLockStore;
  readonly redisUrl: string;
  /** The ZooKeeper connection string, with `lockStore: 'zookeeper'`. */
  readonly zookeeperConnect?: string;
  /** The etcd endpoints, with `lockStore: 'etcd'`. */
  readonly etcdEndpoints?: readonly string[];
  readonly databaseUrl: string;
  /** The app's schema for this run; dropped first. */
  readonly dbSchema: string;
  /** One HTTP port per instance (`0`: any free port). */
  readonly ports: readonly number[];
  /** Where each instance's output goes (`<dir>/<instance>.log`). */
  readonly logDir: string;
  /** Aborts the run (Ctrl-C); instances are stopped all the same. */
  readonly signal?: AbortSignal;
  /** Told what the demo is doing, one short line per step. */
  readonly progress: (line: string) => void;
}

/** The lock stores the demo runs on. */
export type DemoLockStore = 'redis' | 'postgres' | 'postgres-advisory' | 'zookeeper' | 'etcd';

/** Whether `store` detects deadlocks and keeps shared results (the transfer and catalog steps). */
export const runsSharingSteps = (store: DemoLockStore): boolean =>
  store === 'redis' || store === 'postgres';

/** What the demo saw, for the summary. */
export interface DemoResult {
  readonly checks: Check[];
  readonly instances: { name: string; url: string; pid: number }[];
  readonly bootMs: number;
  readonly duplicates: { orders: number; created: number; inFlight409: number; placed409: number };
  readonly rush: { orders: number; accepted: number; items: number; outOfStock: number };
  readonly initialStock: number;
  readonly finalStock: Record<string, number>;
  /** Absent on a store without shared results (the step was skipped). */
  readonly cache?: MergedRebuild['figures'];
  /** Absent on a store without deadlock detection (the step was skipped). */
  readonly deadlock?: TransferDeadlock['figures'];
  readonly report: { quietTicks: number; runs: number };
  readonly takeover?: { victim: string; pid: number; successor: string; afterMs: number };
  readonly gracefulStops: number;
  readonly durationMs: number;
}

const PRODUCTS = ['cocoa', 'coffee', 'tea'];
const INITIAL_STOCK = 40;
const DUPLICATE_ORDERS = 10;
const RUSH_ORDERS = 150;
const CACHE_REFRESHES = 12;
const QUIET_TICKS = 5;
const REPORT_TTL_MS = 3_000;
/** The lock dashboard's password on the demo's instances (HTTP Basic, any user name). */
const DASHBOARD_TOKEN = 'demo';

/**
 * Runs three instances of the sample app against one Redis (locks, unless `lockStore` names
 * another store) and one Postgres (data), puts
 * them through concurrent orders, opposite transfers that deadlock, a cache stampede, a
 * per-second cron job and a `kill -9`, and
 * checks the outcomes. The servers must be running; the instances are always stopped.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const begun = performance.now();
  const db = new ShopDatabase(options.databaseUrl, options.dbSchema);
  const instances: AppInstance[] = [];
  const checks: Check[] = [];
  const lockStore = options.lockStore ?? 'redis';
  const sharing = runsSharingSteps(lockStore);
  const total = sharing ? 7 : 5;
  let step = 0;
  const say = (line: string): void => {
    options.signal?.throwIfAborted();
    options.progress(`[${++step}/${total}] ${line}`);
  };
  try {
    say(`starting ${options.ports.length} instances of the sample app`);
    await db.reset(options.dbSchema);
    const runId = Date.now().toString(36);
    const bootStart = performance.now();
    instances.push(
      ...(await Promise.all(
        options.ports.map((port, i) =>
          startAppInstance({
            name: `app-${i + 1}`,
            main: options.main,
            port,
            logFile: `${options.logDir}/app-${i + 1}.log`,
            readyTimeoutMs: 30_000,
            env: {
              NO_COLOR: '1',
              LOCK_STORE: lockStore,
              REDIS_URL: options.redisUrl,
              ...(options.zookeeperConnect ? { ZOOKEEPER_CONNECT: options.zookeeperConnect } : {}),
              ...(options.etcdEndpoints ? { ETCD_ENDPOINTS: options.etcdEndpoints.join(',') } : {}),
              DATABASE_URL: options.databaseUrl,
              DB_SCHEMA: options.dbSchema,
              LOCK_PREFIX: `demo:${runId}:`,
              INITIAL_STOCK: String(INITIAL_STOCK),
              SLOW_CALL_MS: '150',
              REPORT_CRON: '* * * * * *',
              REPORT_TTL: `${REPORT_TTL_MS}ms`,
              REPORT_WORK_MS: '400',
              DASHBOARD_TOKEN: DASHBOARD_TOKEN,
            },
          }),
        ),
      )),
    );
    const bootMs = performance.now() - bootStart;
    options.progress(
      `lock dashboard (any instance shows them all): ${instances[0]!.url}/locks (any user name, password "${DASHBOARD_TOKEN}")`,
    );

    say(`sending ${DUPLICATE_ORDERS} orders, each to every instance at once`);
    const duplicateAnswers = await Promise.all(
      Array.from({ length: DUPLICATE_ORDERS }, (_, i) => ({
        id: `dup-${i}`,
        sku: PRODUCTS[i % PRODUCTS.length]!,
        qty: 1,
      })).flatMap((order) =>
        instances.map((instance) => placeOrder(instance.url, instance.name, order)),
      ),
    );
    checks.push(checkDuplicateOrders(duplicateAnswers));

    say(
      `sending ${RUSH_ORDERS} orders for ${PRODUCTS.length} products at once, more than the stock`,
    );
    const rushAnswers = await Promise.all(
      Array.from({ length: RUSH_ORDERS }, (_, i) => {
        const instance = instances[i % instances.length]!;
        const order = {
          id: `rush-${i}`,
          sku: PRODUCTS[i % PRODUCTS.length]!,
          qty: 1 + ((i * 7) % 3),
        };
        return placeOrder(instance.url, instance.name, order);
      }),
    );
    const unexpected = rushAnswers.filter((a) => a.status !== 201 && a.status !== 422);
    checks.push({
      name: 'every order answered 201 (accepted) or 422 (out of stock)',
      ok: unexpected.length === 0,
      detail:
        unexpected.length === 0
          ? `${rushAnswers.length} orders`
          : unexpected.map((a) => `${a.id}: ${a.status}`).join(', '),
    });
    const finalStock = await db.stock();
    checks.push(checkStock(INITIAL_STOCK, finalStock, [...duplicateAnswers, ...rushAnswers]));

    let deadlock: TransferDeadlock | undefined;
    let cache: MergedRebuild | undefined;
    if (sharing) {
      say('transferring alice → bob on one instance and bob → alice on another, at once');
      deadlock = await opposingTransfers(db, instances, options.signal);
      checks.push(...deadlock.checks);

      say(
        `asking ${CACHE_REFRESHES} times at once, on every instance, to rebuild the catalog cache`,
      );
      cache = await mergedRebuild(db, instances, CACHE_REFRESHES);
      checks.push(cache.check);
    }

    say(`watching the every-second report job for ${QUIET_TICKS} ticks`);
    const quietFrom = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const quietTo = quietFrom + (QUIET_TICKS - 1) * 1000;
    await sleep(quietTo + 1_000 - Date.now(), undefined, { signal: options.signal });
    checks.push(checkEveryTickOnce(await db.reportRuns(), quietFrom, quietTo));

    say('kill -9 of the instance running the report, waiting for another to take over');
    const takeover = await killRunningInstance(db, instances, REPORT_TTL_MS, options.signal);
    checks.push(takeover.check);
    // A few more ticks on the survivors, then every run so far must be once per tick, no overlap.
    await sleep(3_000, undefined, { signal: options.signal });
    const runs = await db.reportRuns();
    checks.push(checkNoTickTwice(runs));
    checks.push(checkNoOverlap(runs, takeover.killedRun?.startedAt));
    checks.push(await checkDashboard(instances, DASHBOARD_TOKEN, takeover.figures));

    const survivors = instances.filter((i) => i.exit === undefined);
    const stops = await Promise.all(survivors.map((i) => stopAppInstance(i, 15_000)));
    const gracefulStops = stops.filter(Boolean).length;
    checks.push({
      name: 'the surviving instances shut down gracefully (SIGTERM)',
      ok: gracefulStops === survivors.length,
      detail: `${gracefulStops} of ${survivors.length}`,
    });

    return {
      checks,
      instances: instances.map(({ name, url, pid }) => ({ name, url, pid })),
      bootMs,
      duplicates: {
        orders: DUPLICATE_ORDERS,
        created: count(duplicateAnswers, (a) => a.status === 201),
        inFlight409: count(duplicateAnswers, (a) => a.status === 409 && a.retryAfter !== null),
        placed409: count(duplicateAnswers, (a) => a.status === 409 && a.retryAfter === null),
      },
      rush: {
        orders: RUSH_ORDERS,
        accepted: count(rushAnswers, (a) => a.status === 201),
        items: rushAnswers.filter((a) => a.status === 201).reduce((sum, a) => sum + a.qty, 0),
        outOfStock: count(rushAnswers, (a) => a.status === 422),
      },
      initialStock: INITIAL_STOCK,
      finalStock,
      ...(cache ? { cache: cache.figures } : {}),
      ...(deadlock ? { deadlock: deadlock.figures } : {}),
      report: { quietTicks: QUIET_TICKS, runs: runs.length },
      ...(takeover.figures ? { takeover: takeover.figures } : {}),
      gracefulStops,
      durationMs: performance.now() - begun,
    };
  } finally {
    await Promise.all(instances.map((i) => stopAppInstance(i, 10_000)));
    await db.close();
  }
}

function count<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  return items.filter(predicate).length;
}
