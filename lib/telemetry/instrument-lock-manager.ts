import type { LockManager } from '../manager/lock-manager.js';
import { loadOtelApi } from './load-otel-api.js';
import { instrumentManager } from './lock-instruments.js';
import { lockKeyPattern } from './lock-key-pattern.js';
import {
  type LockTelemetry,
  type LockTelemetryOptions,
  validateTelemetryOptions,
} from './lock-telemetry.options.js';
import { instrumented } from './lock-telemetry.registry.js';

const INACTIVE: LockTelemetry = { active: false, stop: () => undefined };

/**
 * Records a manager's locks with OpenTelemetry, through the global meter and tracer providers of
 * `@opentelemetry/api` (an optional peer dependency: without it, nothing is recorded and nothing
 * fails). Histograms `locker.lock.acquire.wait` and `locker.lock.hold` (seconds), counters
 * `locker.lock.acquired`, `.busy`, `.lost` and `.renewal.failures`, each labelled with
 * `locker.backend` and `locker.key_pattern` (never the raw key: see {@link lockKeyPattern});
 * `lock.acquire` spans. `LockModule` does this for its manager unless `telemetry: false`.
 * Calling it again for the same manager returns the first setup's result.
 *
 * @throws {@link InvalidLockOptionsError} for options of the wrong type.
 *
 * @example
 * ```ts
 * const locks = new LockManager({ backend: new RedisLockBackend({ url: process.env.REDIS_URL! }) });
 * await instrumentLockManager(locks, { keyPattern: (key) => key.split(':')[0]! });
 * ```
 */
export async function instrumentLockManager(
  manager: LockManager,
  options: LockTelemetryOptions = {},
): Promise<LockTelemetry> {
  validateTelemetryOptions(options);
  const metrics = options.metrics ?? true;
  const traces = options.traces ?? true;
  if (instrumented.has(manager)) return activeTelemetry(manager);
  if (!metrics && !traces) return INACTIVE;
  const api = await loadOtelApi();
  if (!api) return INACTIVE;
  // Set up while the API loaded, by a concurrent call: keep that one.
  if (instrumented.has(manager)) return activeTelemetry(manager);
  instrumented.set(
    manager,
    instrumentManager(api, manager, {
      metrics,
      traces,
      keyPattern: options.keyPattern ?? lockKeyPattern,
    }),
  );
  return activeTelemetry(manager);
}

function activeTelemetry(manager: LockManager): LockTelemetry {
  return {
    active: true,
    stop: () => {
      instrumented.get(manager)?.stop();
      instrumented.delete(manager);
    },
  };
}
