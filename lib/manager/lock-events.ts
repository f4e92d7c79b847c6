import type { LockBackendError, LockLostError } from '../contract/errors.js';
import { libraryWarnings } from '../contract/library-warnings.js';

/** What every event about one held lock says. */
export interface LockEvent {
  readonly key: string;
  readonly fencingToken: bigint;
}

/** A lock was acquired. */
export interface LockAcquiredEvent extends LockEvent {
  /** How long the acquire took, waiting included, in ms. */
  readonly waitedMs: number;
}

/** A lock was released (or, with `releaseAfter`, left to run out). */
export interface LockReleasedEvent extends LockEvent {
  /** How long it was held, in ms. */
  readonly heldMs: number;
}

/** An acquire gave up: someone else held the key (a `LockNotAcquiredError`, or `null` from `tryAcquire`). */
export interface LockBusyEvent {
  readonly key: string;
  /** How long the acquire waited before giving up, in ms. */
  readonly waitedMs: number;
  /** How long until the holder's lease runs out, in ms, when the store said so. */
  readonly retryAfterMs: number | undefined;
}

/** A held lease was lost; its signal has been aborted with `error`. */
export interface LockLostEvent extends LockEvent {
  readonly error: LockLostError;
  /** How long it was held before it was lost, in ms. */
  readonly heldMs: number;
}

/** Renewal of some leases failed; they are retried until their deadline. */
export interface RenewalFailedEvent {
  readonly keys: readonly string[];
  readonly error: LockBackendError;
}

/** A release failed (the lease will expire by its ttl). */
export interface ReleaseFailedEvent extends LockEvent {
  readonly error: LockBackendError;
}

/** The events of a `LockManager`, by name. */
export interface LockEvents {
  acquired: LockAcquiredEvent;
  released: LockReleasedEvent;
  busy: LockBusyEvent;
  lost: LockLostEvent;
  renewalFailed: RenewalFailedEvent;
  releaseFailed: ReleaseFailedEvent;
}

/** A listener of one {@link LockEvents} event. */
export type LockEventListener<E extends keyof LockEvents> = (event: LockEvents[E]) => void;

/**
 * A minimal typed event emitter. A throwing listener cannot break the emitter's caller (often
 * the renewal timer): its error is reported as a warning instead (see `libraryWarnings`).
 */
export class LockEventEmitter {
  readonly #listeners: { [E in keyof LockEvents]?: Set<LockEventListener<E>> } = {};

  on<E extends keyof LockEvents>(event: E, listener: LockEventListener<E>): () => void {
    let set = this.#listeners[event] as Set<LockEventListener<E>> | undefined;
    if (!set) {
      set = new Set();
      (this.#listeners as Record<string, unknown>)[event] = set;
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof LockEvents>(event: E, listener: LockEventListener<E>): void {
    (this.#listeners[event] as Set<LockEventListener<E>> | undefined)?.delete(listener);
  }

  /** Whether anyone listens to `event`: a payload nobody reads need not be made. */
  hasListeners(event: keyof LockEvents): boolean {
    return (this.#listeners[event]?.size ?? 0) > 0;
  }

  emit<E extends keyof LockEvents>(event: E, payload: LockEvents[E]): void {
    const set = this.#listeners[event] as Set<LockEventListener<E>> | undefined;
    if (!set) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        libraryWarnings.emit(
          `nestjs-locker: a "${event}" listener threw: ${error instanceof Error ? error.message : String(error)}`,
          'NESTJS_LOCKER_LISTENER_ERROR',
        );
      }
    }
  }
}
