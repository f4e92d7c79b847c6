import 'reflect-metadata';
import { UseInterceptors } from '@nestjs/common';
import { InvalidLockOptionsError } from '../contract/errors.js';
import type { LockMode } from '../contract/read-write-locks.js';
import type { Duration } from '../manager/duration.js';
import {
  validateBoolean,
  validateMode,
  validatePermits,
  validateShareFor,
  validateTtl,
  validateWait,
} from '../manager/validate-options.js';
import { LockInterceptor } from './lock.interceptor.js';
import { compileKey, highestArgumentIndex, type LockKeySource } from './lock-key.js';
import { lockRuntime } from './lock-runtime.js';
import { LOCKED_METHOD_METADATA, type LockedMethod, type OnBusy } from './locked-method.js';
import { wrapMethod } from './method-wrapper.js';

/** Options of `@Locked()`. */
export interface LockedOptions {
  /**
   * Lease time to live, in ms or as a duration string such as `'30s'` (renewed while the method
   * runs). Default: the module's `defaults.ttl`.
   */
  ttl?: Duration;
  /**
   * How long to wait for a busy lock, in ms or as a duration string such as `'2s'`. Default: the
   * module's `defaults.wait` (0).
   */
  wait?: Duration;
  /**
   * When the lock is busy: after `wait`, `'throw'` a `LockNotAcquiredError` (HTTP 409 with
   * `Retry-After` on a controller), or `'skip'` the call and return `undefined`. Or `'share'`: a
   * call that finds the method running for the same key, on any instance, waits for that run and
   * returns its result instead of running again (see `LockService.share`: results travel as JSON;
   * `wait` then defaults to 60 s; one key, not with `fair`, `permits` or `mode`). Default
   * `'throw'`.
   */
  onBusy?: OnBusy;
  /**
   * With `onBusy: 'share'`: also return a successful result to calls that arrive up to this long
   * after its run ended (ms or a duration string). Default 0.
   */
  shareFor?: Duration;
  /**
   * Serve waiting calls in turn, across instances (see `LockOptions.fair`). Default: the module's
   * `defaults.fair`.
   */
  fair?: boolean;
  /**
   * Let up to this many calls (across all instances) run at once: a semaphore, for rate-limited
   * APIs and pools (see `LockOptions.permits`). Default 1.
   */
  permits?: number;
  /**
   * Take the key as a read-write lock: `'read'` calls run side by side, a `'write'` call runs alone
   * and is not starved by reads (see `LockOptions.mode`). Default: a plain lock.
   */
  mode?: LockMode;
}

/**
 * Runs the method under a distributed lock: acquire → renew while it runs → release. Works on any
 * provider or controller method (the method becomes async). Inside it, `currentLock()` gives the
 * lock's fencing token and signal; a nested `@Locked` call on the same key in the same call chain
 * re-enters instead of deadlocking. Static options are validated when the module boots.
 *
 * @param key a template with positional arguments (`'order:{0}'`, `'order:{0.id}'`,
 *   `'{1.user.id}'`) or a function of the arguments, which may return an array of keys to take
 *   together (all or none). A placeholder resolving to `undefined`, `null` or `''` is an
 *   `InvalidLockOptionsError`, never a key like `"order:undefined"`.
 *
 * @example
 * ```ts
 * @Injectable()
 * class InventoryService {
 *   @Locked('stock:{0}', { wait: 2_000 })
 *   async reserve(sku: string, qty: number) { ... }
 *
 *   @Locked((order: Order) => `order:${order.id}`, { onBusy: 'skip' })
 *   async process(order: Order) { ... }
 *
 *   @Locked((from: string, to: string) => [`account:${from}`, `account:${to}`], { wait: '1s' })
 *   async transfer(from: string, to: string, amount: number) { ... }
 *
 *   @Locked('partner-api', { permits: 4, wait: '10s' })
 *   async callPartner(request: PartnerRequest) { ... }
 *
 *   @Locked('catalog', { mode: 'read', wait: '5s' })
 *   async price(sku: string) { ... }
 *
 *   @Locked('catalog:rebuild', { onBusy: 'share', shareFor: '2s' })
 *   async rebuildCatalog() { ... } // racing calls on every instance: one rebuild, one result
 * }
 * ```
 */
export function Locked<A extends unknown[] = never[]>(
  key: LockKeySource<A>,
  options: LockedOptions = {},
): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const where = `${(target as { constructor: { name: string } }).constructor.name}.${String(propertyKey)}`;
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') {
      throw new InvalidLockOptionsError('@Locked', 'can only decorate a method', where);
    }
    const problem = findProblem(key, options, where, parameterCount(target, propertyKey, original));
    // Parsed once, here; with a problem the method refuses to run, so these stay unset.
    const lockOptions = {
      ttl: problem || options.ttl === undefined ? undefined : validateTtl(options.ttl),
      wait: problem || options.wait === undefined ? undefined : validateWait(options.wait),
      fair: problem ? undefined : options.fair,
      permits: problem ? undefined : options.permits,
      mode: problem ? undefined : options.mode,
    };
    const method: LockedMethod = {
      kind: 'locked',
      where,
      key: compileKey(key as LockKeySource<never[]>, where),
      ...lockOptions,
      onBusy: options.onBusy ?? 'throw',
      shareFor: problem ? 0 : validateShareFor(options.shareFor),
      problem,
      lockOptions,
    };
    wrapMethod(descriptor, (instance, args, invoke) =>
      lockRuntime.runLocked(instance, method, args, invoke),
    );
    Reflect.defineMetadata(LOCKED_METHOD_METADATA, method, descriptor.value as object);
    // On a controller handler, the interceptor turns "busy" into 409 Conflict with Retry-After.
    UseInterceptors(LockInterceptor)(target, propertyKey, descriptor);
  };
}

function parameterCount(target: object, propertyKey: string | symbol, method: unknown): number {
  const types = Reflect.getMetadata('design:paramtypes', target, propertyKey) as
    | unknown[]
    | undefined;
  return types?.length ?? (method as (...args: unknown[]) => unknown).length;
}

function findProblem(
  key: unknown,
  options: LockedOptions,
  where: string,
  parameters: number,
): InvalidLockOptionsError | undefined {
  try {
    if (typeof key === 'string') {
      if (key.length === 0) throw new InvalidLockOptionsError('key', 'must not be empty', where);
      const highest = highestArgumentIndex(key);
      if (highest >= parameters) {
        throw new InvalidLockOptionsError(
          'key',
          `template "${key}" reads argument {${highest}}, but the method takes ${parameters} argument${parameters === 1 ? '' : 's'}`,
          where,
        );
      }
    } else if (typeof key !== 'function') {
      throw new InvalidLockOptionsError(
        'key',
        'must be a template string or a function of the arguments',
        where,
      );
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidLockOptionsError('options', 'must be an object', where);
    }
    if (options.ttl !== undefined) validateTtl(options.ttl, 'ttl', where);
    if (options.wait !== undefined) validateWait(options.wait, 'wait', where);
    if (options.fair !== undefined) validateBoolean(options.fair, 'fair', where);
    if (options.permits !== undefined) validatePermits(options.permits, where);
    if (options.mode !== undefined) validateMode(options.mode, where);
    if (options.onBusy !== undefined && !ON_BUSY.includes(options.onBusy)) {
      throw new InvalidLockOptionsError(
        'onBusy',
        `must be 'throw', 'skip' or 'share', got ${JSON.stringify(options.onBusy)}`,
        where,
      );
    }
    if (options.onBusy === 'share') refuseWithShare(options, where);
    else if (options.shareFor !== undefined) {
      throw new InvalidLockOptionsError('shareFor', "is only for onBusy: 'share'", where);
    }
    validateShareFor(options.shareFor, where);
    return undefined;
  } catch (error) {
    return error as InvalidLockOptionsError;
  }
}

const ON_BUSY: readonly unknown[] = ['throw', 'skip', 'share'] satisfies OnBusy[];

/** A shared run is one plain lock of one key: the shapes it cannot take are refused. */
function refuseWithShare(options: LockedOptions, where: string): void {
  for (const field of ['fair', 'permits', 'mode'] as const) {
    if (options[field] !== undefined && !(field === 'permits' && options.permits === 1)) {
      throw new InvalidLockOptionsError(field, "cannot be used with onBusy: 'share'", where);
    }
  }
}
