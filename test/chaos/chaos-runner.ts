import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EtcdLockBackend,
  type LockBackend,
  PostgresLockBackend,
  RedisLockBackend,
  RedlockLockBackend,
  ZooKeeperLockBackend,
} from '../../lib/index.js';
import { sleep, uniqueId } from '../support/async.js';
import { FencedStore } from './fenced-store.js';
import {
  type CheckResult,
  checkHistory,
  type EventRecord,
  type Healed,
  parseHistory,
} from './history.js';

const WORKER = new URL('./chaos.worker.mjs', import.meta.url).pathname;
const NS_PER_MS = 1_000_000n;

/** The store a run locks on: its URL (direct), and the URL workers behind the proxy use. */
export type RunStore =
  | { readonly kind: 'redis' | 'postgres'; readonly url: string }
  | { readonly kind: 'redlock'; readonly urls: readonly string[] }
  | { readonly kind: 'zookeeper'; readonly connect: string }
  | { readonly kind: 'etcd'; readonly endpoints: readonly string[] };

/** One chaos worker process. */
export interface RunningWorker {
  readonly index: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** What a fault sees of the run. */
export interface FaultContext {
  readonly workers: readonly RunningWorker[];
  readonly store: FencedStore;
  readonly keys: readonly string[];
  readonly ttlMs: number;
  /** The worker that wrote `key` last, which is likely to hold it now. */
  holderOf(key: string): RunningWorker | undefined;
  log(message: string): void;
}

/** One named fault scenario. */
export interface ChaosScenario {
  readonly name: string;
  /** What is broken and what must still hold, for RELIABILITY.md. */
  readonly description: string;
  readonly workers: number;
  readonly keys: number;
  readonly ttlMs: number;
  /** How long workers take locks, in ms. */
  readonly durationMs: number;
  /** The store for worker `index` (lets some workers go through a proxy). */
  storeFor(index: number): RunStore;
  /** A faketime offset for worker `index`, such as '+2s' (needs faketime on PATH). */
  clockOffset?(index: number): string | undefined;
  /** The store lost its data: overlaps are expected, and fencing must reject the stale holder. */
  readonly storeLosesData?: boolean;
  /** Injects the fault(s) while workers run; resolves with when (and where) each fault healed. */
  inject(context: FaultContext): Promise<Healed[]>;
  /** The store checked at the end for locks left held (direct, never through a proxy). */
  readonly checkStore: RunStore;
}

/** The outcome of one trial. */
export interface TrialResult extends CheckResult {
  readonly scenario: string;
  readonly leftHeld: string[];
  readonly errors: number;
  /** The names of the errors failed acquires threw (`LockBackendError`, ...), each once. */
  readonly errorNames: readonly string[];
  readonly faults: number;
  readonly exitCodes: (number | null)[];
  readonly killed: number;
}

function openBackend(store: RunStore): LockBackend {
  switch (store.kind) {
    case 'redlock':
      return new RedlockLockBackend({ nodes: store.urls, onWarning: false });
    case 'redis':
      return new RedisLockBackend({ url: store.url, onWarning: false });
    case 'postgres':
      return new PostgresLockBackend({ connectionString: store.url, listen: false });
    case 'zookeeper':
      return new ZooKeeperLockBackend({ connectionString: store.connect });
    case 'etcd':
      return new EtcdLockBackend({ endpoints: store.endpoints });
  }
}

/**
 * Runs one trial of `scenario`: starts the fenced store and the workers, injects the fault, waits
 * for every worker to finish (killed ones excepted), then checks the history and that no lock is
 * left held once the last lease could have run out.
 */
export async function runTrial(
  scenario: ChaosScenario,
  log: (message: string) => void,
): Promise<TrialResult> {
  const dir = mkdtempSync(join(tmpdir(), 'locker-chaos-'));
  const logFile = join(dir, 'history.jsonl');
  writeFileSync(logFile, '');
  const store = new FencedStore();
  const storeUrl = await store.start();
  const keyPrefix = `chaos:${uniqueId()}:`;
  const keys = Array.from({ length: scenario.keys }, (_, i) => `key-${i}`);
  const workers: RunningWorker[] = [];
  const killed = new Set<number>();
  try {
    for (let index = 0; index < scenario.workers; index++) {
      const config = {
        worker: index,
        backend: scenario.storeFor(index),
        keys,
        keyPrefix,
        ttlMs: scenario.ttlMs,
        steps: 4,
        stepMs: 20,
        durationMs: scenario.durationMs,
        storeUrl,
        logFile,
      };
      const offset = scenario.clockOffset?.(index);
      const [command, args] = offset
        ? ['faketime', ['-f', offset, process.execPath, WORKER, JSON.stringify(config)]]
        : [process.execPath, [WORKER, JSON.stringify(config)]];
      const child = spawn(command, args, {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, FAKETIME_DONT_FAKE_MONOTONIC: '1' },
      });
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code, signal) => {
          if (signal === 'SIGKILL') killed.add(index);
          resolve(code);
        }),
      );
      workers.push({ index, child, exited });
    }
    const context: FaultContext = {
      workers,
      store,
      keys,
      ttlMs: scenario.ttlMs,
      holderOf: (key) => {
        const last = store.lastWriter(key);
        return last === undefined ? undefined : workers[last.worker];
      },
      log,
    };
    // Faults start once every worker is up and has written (starting 8 Node processes at once on a
    // small machine takes seconds).
    await store.whenWritten(scenario.workers, 60_000);
    const healedAt = await scenario.inject(context);
    const limit = scenario.durationMs + 6 * scenario.ttlMs + 30_000;
    let timer: NodeJS.Timeout | undefined;
    const exitCodes = await Promise.race([
      Promise.all(workers.map((worker) => worker.exited)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`${scenario.name}: workers still running ${limit} ms after the start`),
            ),
          limit,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    // A killed holder's lease runs out on its own; after that nothing may be left held.
    if (killed.size > 0) await sleep(scenario.ttlMs + 500);
    const leftHeld = await locksLeftHeld(
      scenario.checkStore,
      keys.map((key) => `${keyPrefix}${key}`),
    );
    const history = parseHistory(readFileSync(logFile, 'utf8'));
    // Progress is only expected while every worker still takes locks: until the first one stopped.
    let stoppedAt = process.hrtime.bigint();
    for (const record of history) {
      if (record.type === 'done' && record.at < stoppedAt) stoppedAt = record.at;
    }
    const result = checkHistory(history, {
      healedAt,
      progressBoundNs: BigInt(Math.round(scenario.ttlMs * (4 / 3) + 2_000)) * NS_PER_MS,
      stoppedAt,
      overlapsExpected: scenario.storeLosesData,
    });
    const violations = [...result.violations];
    if (violations.length > 0) {
      // What the workers ran into, for the report: the last few failed acquires.
      const errors = history.filter((record): record is EventRecord => record.type === 'error');
      for (const error of errors.slice(-3)) {
        log(`worker ${error.worker} error: ${error.message ?? ''}`.slice(0, 600));
      }
      log(`${errors.length} failed acquires in this trial`);
    }
    for (const key of leftHeld)
      violations.push(`"${key}" was still held after every worker stopped`);
    workers.forEach((worker, i) => {
      if (!killed.has(worker.index) && exitCodes[i] !== 0) {
        violations.push(`worker ${worker.index} exited with ${exitCodes[i]}`);
      }
    });
    return {
      ...result,
      violations,
      scenario: scenario.name,
      leftHeld,
      errors: history.filter((record) => record.type === 'error').length,
      errorNames: [
        ...new Set(
          history.flatMap((record) =>
            record.type === 'error' ? [(record.message ?? '').split(':')[0]!] : [],
          ),
        ),
      ],
      faults: healedAt.length,
      exitCodes,
      killed: killed.size,
    };
  } finally {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGCONT');
        worker.child.kill('SIGKILL');
      }
    }
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function locksLeftHeld(store: RunStore, storeKeys: readonly string[]): Promise<string[]> {
  const backend = openBackend(store);
  try {
    const held: string[] = [];
    for (const key of storeKeys) if (await backend.inspect(key)) held.push(key);
    return held;
  } finally {
    await backend.close();
  }
}
