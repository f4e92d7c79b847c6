import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { catchError, type Observable, throwError } from 'rxjs';
import { InvalidLockOptionsError, LockNotAcquiredError } from '../contract/errors.js';
import { wallNow } from '../manager/clock.js';
import type { Lock } from '../manager/lock.js';
import type { LockKeys } from '../manager/lock-manager.js';
// A value import: Nest reads the constructor's parameter types from decorator metadata.
import { LockManager } from '../manager/lock-manager.js';
import type { LockOptions } from '../manager/lock-options.js';
import { checkTtlLimit } from '../manager/validate-options.js';
import { runInSpanOf } from '../telemetry/lock-telemetry.registry.js';
import { LOCK_MODULE_OPTIONS } from './lock.module-definition.js';
// A value import, as above.
import { LockGate } from './lock-gate.js';
import { lockHttpException } from './lock-http-exception.js';
import type { LockModuleOptions } from './lock-module.options.js';
import type { LockRunner } from './lock-runtime.js';
import type { LockedMethod, OnBusy, SingletonCronJob } from './locked-method.js';
import type { Invoke } from './method-wrapper.js';

/**
 * The one around-advice of the module: every `@Locked()` call and every `@SingletonCron()` tick
 * goes through it (acquire → renew → run → release, by way of `LockManager.using`, behind the
 * module's `LockGate` as `LockService` is). `@Locked()`
 * applies it to controllers as a Nest interceptor, which passes everything through: the HTTP
 * answer to a busy lock is `LockExceptionFilter`'s, wherever the lock was taken. It never takes a
 * lock itself in `intercept`, so a handler is never locked twice, however it is applied.
 *
 * @example
 * ```ts
 * // Registered globally by LockModule (unless exceptionFilter: false); applying it by hand is harmless.
 * app.useGlobalInterceptors(app.get(LockInterceptor));
 * ```
 */
@Injectable()
export class LockInterceptor implements NestInterceptor, LockRunner {
  readonly #logger = new Logger('LockModule');

  readonly #logSkippedTicks: boolean;

  constructor(
    private readonly manager: LockManager,
    private readonly gate: LockGate,
    @Optional() @Inject(LOCK_MODULE_OPTIONS) options?: LockModuleOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.#logSkippedTicks = options?.logSkippedTicks === true;
  }

  /**
   * In an HTTP request, turns a lock error thrown anywhere in the handler (its own `@Locked()`, a
   * service's, `LockService.using()`) into an `HttpException` (409 or 503, with `errorCode`) and
   * sets `Retry-After`, so that every filter, the app's catch-all included, answers it as Nest
   * answers its own exceptions. `LockModule` registers it globally; other errors pass unchanged.
   */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    return next
      .handle()
      .pipe(catchError((error: unknown) => throwError(() => this.#forHttp(error, context))));
  }

  #forHttp(error: unknown, context: ExecutionContext): unknown {
    const converted = lockHttpException(error);
    if (!converted) return error;
    const { exception, answer } = converted;
    // The message of a 5xx names the store's address: for the log, not the client.
    if (answer.status >= 500 && error instanceof Error)
      this.#logger.error(error.message, error.stack);
    const adapter = this.adapterHost?.httpAdapter;
    const response = context.switchToHttp().getResponse<unknown>();
    for (const [name, value] of Object.entries(answer.headers)) {
      adapter?.setHeader(response, name, value);
    }
    return exception;
  }

  runLocked(method: LockedMethod, args: readonly unknown[], invoke: Invoke): Promise<unknown> {
    // Not async: one promise fewer per call; the caller turns a synchronous throw into a rejection.
    if (method.problem) throw method.problem;
    const key = method.key(args);
    if (method.onBusy === 'share') return this.#share(method, key, invoke);
    const { lockOptions, onBusy } = method;
    // A busy lock thrown as it is (the default) needs no wrapper: the call is LockService.using's.
    const run =
      onBusy === 'throw'
        ? (): Promise<unknown> => {
            try {
              this.gate.admit(key);
            } catch (error) {
              return Promise.reject(error);
            }
            return this.gate.track(this.manager.using(key, invoke, lockOptions));
          }
        : () =>
            this.#using(key, invoke, lockOptions, onBusy, () => {
              this.#logger.debug(`${method.where}: lock "${String(key)}" is busy; call skipped`);
              return undefined;
            });
    // With OpenTelemetry, the run (acquire included, as its child span) is one span, named for
    // the method rather than the key, which varies per call.
    const inSpan = runInSpanOf(this.manager);
    return inSpan ? inSpan('lock.run', { 'locker.method': method.where }, run) : run();
  }

  /** A `@Locked({ onBusy: 'share' })` call: joins the run in progress for its key, or runs. */
  #share(method: LockedMethod, key: LockKeys, invoke: Invoke): Promise<unknown> {
    if (typeof key !== 'string') {
      throw new InvalidLockOptionsError(
        'key',
        "must be one key with onBusy: 'share', got an array",
        method.where,
      );
    }
    this.gate.admit(key);
    return this.gate.track(
      this.manager.share(key, () => invoke(), {
        ...(method.ttl === undefined ? {} : { ttl: method.ttl }),
        ...(method.wait === undefined ? {} : { wait: method.wait }),
        shareFor: method.shareFor,
      }),
    );
  }

  /**
   * Checks, at bootstrap, that the module's backend offers the lock shape a `@Locked()` method
   * asks for (fair, permits, mode, or shared runs), for as long a ttl.
   */
  validate(method: LockedMethod): void {
    if (method.onBusy === 'share') this.manager.validateShare(method.where);
    this.manager.validateOptions(
      {
        fair: method.fair,
        permits: method.permits,
        mode: method.mode,
        ...(method.ttl === undefined ? {} : { ttl: method.ttl }),
      },
      method.where,
    );
  }

  /**
   * Checks, at bootstrap, that the backend can hold a `@SingletonCron()` job's run lock for its
   * ttl and keep it for its `lockAtLeastFor`.
   */
  validateCronJob(job: SingletonCronJob): void {
    this.manager.validateOptions(job.ttl === undefined ? {} : { ttl: job.ttl }, job.where);
    checkTtlLimit(job.lockAtLeastFor, this.manager.backend, 'lockAtLeastFor', job.where);
  }

  async runCronTick(job: SingletonCronJob, invoke: Invoke): Promise<void> {
    if (job.problem || !job.schedule) throw job.problem;
    // Wall time on the manager's clock: a ManualClock in tests names the tick being fired by hand.
    const firedAt = wallNow(this.manager.clock);
    const tick = job.schedule.nominalTickAt(firedAt);
    if (tick === undefined) {
      this.#logger.warn(
        `${job.name}: fired at ${new Date(firedAt).toISOString()}, not at a scheduled time; skipped`,
      );
      return;
    }
    const at = new Date(tick).toISOString();
    try {
      // A claim, not a held lock: it runs out in the store, which is not a lost lease.
      // Refused while the module shuts down: a stopping instance never claims a tick it would not run.
      const claimKey = `cron:${job.name}:${tick}`;
      this.gate.admit(claimKey);
      const claimed = await this.manager.claim(claimKey, this.#claimTtl(job, tick));
      // Skipping is the normal outcome on every instance but one, every tick: silent by default.
      if (!claimed) {
        this.manager.activity.recordTick(job.name, { at: tick, outcome: 'claimed-elsewhere' });
        this.#skipped(`${job.name}: tick ${at} already claimed by another instance; skipped`);
        return;
      }
      if (!(await this.#runAlone(job, tick, invoke))) {
        this.manager.activity.recordTick(job.name, { at: tick, outcome: 'previous-running' });
        this.#skipped(`${job.name}: the previous run is still in progress; tick ${at} skipped`);
      }
    } catch (error) {
      // Nothing is thrown into the scheduler: a failed tick is logged, and the next tick runs anew.
      this.#logger.error(
        `${job.name}: tick ${at} failed: ${error instanceof Error ? error.message : String(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }

  /**
   * How long a tick's claim lives: past the tick by twice the period (see `claimTtlAfter`), but no
   * longer than the backend can promise (`maxTtlMs`: a ZooKeeper session's timeout). A tick fires
   * within moments on every instance, so a claim that lives that long still sees the late ones.
   */
  #claimTtl(job: SingletonCronJob, tick: number): number {
    const wanted = job.schedule!.claimTtlAfter(tick);
    return Math.min(wanted, this.manager.backend.maxTtlMs ?? wanted);
  }

  #skipped(message: string): void {
    if (this.#logSkippedTicks) this.#logger.debug(message);
  }

  /** Runs the job under its run lock; `false` when another run holds it. */
  #runAlone(job: SingletonCronJob, tick: number, invoke: Invoke): Promise<boolean> {
    return this.#using(
      `cron:${job.name}`,
      async (lock) => {
        const startedAt = performance.now();
        const { activity } = this.manager;
        activity.recordTick(job.name, { at: tick, outcome: 'running' });
        try {
          await invoke();
          const durationMs = Math.round(performance.now() - startedAt);
          activity.recordTick(job.name, { at: tick, outcome: 'succeeded', durationMs });
        } catch (error) {
          activity.recordTick(job.name, {
            at: tick,
            outcome: 'failed',
            durationMs: Math.round(performance.now() - startedAt),
            error: error instanceof Error ? error.message : String(error),
          });
          throw error;
        } finally {
          const keepFor = Math.ceil(job.lockAtLeastFor - (performance.now() - startedAt));
          if (keepFor > 0) await lock.releaseAfter(keepFor);
        }
        return true;
      },
      { ttl: job.ttl },
      'skip',
      () => false,
    );
  }

  /**
   * `LockManager.using` through the module's gate (refused while shutting down, counted while it
   * runs, as `LockService.using` is), where a busy lock is thrown or, with `'skip'`, answered by
   * `skipped()`.
   * Only the lock's own busy error counts: one thrown by `fn` always propagates.
   */
  async #using<T>(
    key: LockKeys,
    fn: (lock: Lock) => T | Promise<T>,
    options: LockOptions,
    onBusy: OnBusy,
    skipped: () => T,
  ): Promise<T> {
    let entered = false;
    try {
      this.gate.admit(key);
      return await this.gate.track(
        this.manager.using(
          key,
          (lock) => {
            entered = true;
            return fn(lock);
          },
          options,
        ),
      );
    } catch (error) {
      if (!entered && onBusy === 'skip' && error instanceof LockNotAcquiredError) return skipped();
      throw error;
    }
  }
}
