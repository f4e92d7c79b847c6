import { LockModuleNotReadyError } from '../contract/errors.js';
import type { LockedMethod, SingletonCronJob } from './locked-method.js';
import type { Invoke } from './method-wrapper.js';

/** What a decorated method needs at call time: the running module's around-advice. */
export interface LockRunner {
  runLocked(method: LockedMethod, args: readonly unknown[], invoke: Invoke): Promise<unknown>;
  runCronTick(job: SingletonCronJob, invoke: Invoke): Promise<void>;
}

const byInstance = new WeakMap<object, LockRunner>();
const running = new Set<LockRunner>();

/**
 * Links decorated methods to the module that runs them. Decorators run when a class is defined,
 * long before any module exists, so the module registers itself here at bootstrap: for every
 * provider and controller instance it discovered, and as the fallback for instances it did not
 * (made with `new`, request-scoped) when it is the only one running in this process.
 */
export const lockRuntime = {
  start(runner: LockRunner): void {
    running.add(runner);
  },
  stop(runner: LockRunner): void {
    running.delete(runner);
  },
  bind(instance: object, runner: LockRunner): void {
    byInstance.set(instance, runner);
  },
  /** Runs a `@Locked()` call through the runner of `instance`; never throws synchronously. */
  runLocked(
    instance: unknown,
    method: LockedMethod,
    args: readonly unknown[],
    invoke: Invoke,
  ): Promise<unknown> {
    try {
      return lockRuntime.for(instance, method.where).runLocked(method, args, invoke);
    } catch (error) {
      return Promise.reject(error);
    }
  },
  /** Runs a `@SingletonCron()` tick through the runner of `instance`; never throws synchronously. */
  runCronTick(instance: unknown, job: SingletonCronJob, invoke: Invoke): Promise<void> {
    try {
      return lockRuntime.for(instance, job.where).runCronTick(job, invoke);
    } catch (error) {
      return Promise.reject(error);
    }
  },
  for(instance: unknown, where: string): LockRunner {
    const bound =
      typeof instance === 'object' && instance !== null ? byInstance.get(instance) : undefined;
    if (bound && running.has(bound)) return bound;
    if (running.size === 1) return running.values().next().value as LockRunner;
    throw new LockModuleNotReadyError(where, running.size);
  },
};
