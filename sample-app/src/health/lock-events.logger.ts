import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LockService } from 'nestjs-locker';

/**
 * Logs the lock events an operator wants to hear about: a lease lost while held (its work was
 * aborted through the lock's signal), renewals and releases that failed. A metrics exporter would
 * subscribe the same way.
 */
@Injectable()
export class LockEventsLogger implements OnModuleInit, OnModuleDestroy {
  readonly #logger = new Logger('Locks');
  readonly #unsubscribe: (() => void)[] = [];

  constructor(private readonly locks: LockService) {}

  onModuleInit(): void {
    this.#unsubscribe.push(
      this.locks.on('lost', ({ key, error }) =>
        this.#logger.warn(`lost "${key}": ${error.reason}`),
      ),
      this.locks.on('renewalFailed', ({ keys, error }) =>
        this.#logger.warn(`renewal of ${keys.length} lock(s) failed: ${error.message}`),
      ),
      this.locks.on('releaseFailed', ({ key, error }) =>
        this.#logger.warn(`release of "${key}" failed: ${error.message}`),
      ),
    );
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }
}
