import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { withTimeout } from '../contract/deadlines.js';
import type { Duration } from '../manager/duration.js';
import { LockManager } from '../manager/lock-manager.js';
import { validateTtl } from '../manager/validate-options.js';

/** How far back renewal failures and lost leases are counted. */
const RECENT_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 1_000;
const PROBE_KEY = 'health-probe';

/** Options of {@link LockHealthIndicator.isHealthy}. */
export interface LockHealthOptions {
  /** How long the store may take to answer, in ms or as a duration string. Default 1 000. */
  timeout?: Duration;
}

/**
 * What {@link LockHealthIndicator.isHealthy} reports under its key: the shape of a
 * `@nestjs/terminus` `HealthIndicatorResult`, which reads `status` and shows the rest.
 */
export type LockHealthDetails = {
  /** `'down'` when the store did not answer a read within the timeout. */
  status: 'up' | 'down';
  /** The backend's name: `redis`, `redlock`, `postgres`, `memory`. */
  backend: string;
  /** How long the store took to answer, in ms (up only). */
  responseTimeMs?: number;
  /** Why the store counts as down (down only). */
  message?: string;
  /** How many locks this instance holds now. */
  heldLocks: number;
  /** Renewal rounds that failed (the store did not answer) in the last minute. */
  renewalFailures: number;
  /** Leases this instance held and lost in the last minute. */
  lostLeases: number;
};

/**
 * `{ [key]: details }`, as terminus merges indicator results into its `info` / `error`.
 *
 * @example
 * ```ts
 * const { lock } = await indicator.isHealthy(); // lock.status: 'up' | 'down'
 * ```
 */
export type LockHealthResult<Key extends string = 'lock'> = { [K in Key]: LockHealthDetails };

/**
 * A health indicator for `@nestjs/terminus` (or any health endpoint): is the lock store reachable
 * within a bound, how many locks this instance holds, and whether renewing them has been failing.
 * It needs nothing from terminus (terminus reads the `status` of what it returns), so apps without
 * terminus can call it too. `LockModule` provides it.
 *
 * @example
 * ```ts
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly lock: LockHealthIndicator,
 *   ) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.lock.isHealthy('lock', { timeout: 500 })]);
 *   }
 * }
 * ```
 */
@Injectable()
export class LockHealthIndicator implements OnModuleDestroy {
  readonly #renewalFailures: number[] = [];
  readonly #lost: number[] = [];
  readonly #unsubscribe: (() => void)[];

  constructor(private readonly manager: LockManager) {
    this.#unsubscribe = [
      manager.on('renewalFailed', () => note(this.#renewalFailures)),
      manager.on('lost', () => note(this.#lost)),
    ];
  }

  /**
   * Reads a probe key from the store (nothing is written) and reports under `key`: `up` when the
   * store answered within `options.timeout`, `down` otherwise. Never throws for a store failure.
   */
  async isHealthy<const Key extends string = 'lock'>(
    key: Key = 'lock' as Key,
    options: LockHealthOptions = {},
  ): Promise<LockHealthResult<Key>> {
    const timeoutMs =
      options.timeout === undefined ? DEFAULT_TIMEOUT_MS : validateTtl(options.timeout, 'timeout');
    const startedAt = performance.now();
    const failure = await probe(this.manager, timeoutMs);
    const details: LockHealthDetails = {
      status: failure === undefined ? 'up' : 'down',
      backend: this.manager.backend.name,
      ...(failure === undefined
        ? { responseTimeMs: Math.round(performance.now() - startedAt) }
        : { message: failure }),
      heldLocks: this.manager.heldCount,
      renewalFailures: recent(this.#renewalFailures),
      lostLeases: recent(this.#lost),
    };
    return { [key]: details } as LockHealthResult<Key>;
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}

/** `undefined` when the store answered in time, else why not. */
async function probe(manager: LockManager, timeoutMs: number): Promise<string | undefined> {
  try {
    await withTimeout(manager.inspect(PROBE_KEY), timeoutMs);
    return undefined;
  } catch (error) {
    // The store's own message names its host: fine for an operator's health page. A timeout says
    // "no answer within … ms".
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Records an event now, dropping those older than a minute first, so the list stays bounded by a
 * minute of events even in an app that never asks for its health.
 */
function note(times: number[]): void {
  recent(times);
  times.push(Date.now());
}

/** Drops entries older than a minute; the count of those left. */
function recent(times: number[]): number {
  const since = Date.now() - RECENT_MS;
  while (times.length > 0 && times[0]! < since) times.shift();
  return times.length;
}
