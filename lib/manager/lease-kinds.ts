import { InvalidLockOptionsError } from '../contract/errors.js';
import type { AcquireResult, ExtendResult } from '../contract/lease.js';
import type { LockBackend } from '../contract/lock-backend.js';
import type { ResolvedLockOptions } from './lock-options.js';
import { checkTtlLimit } from './validate-options.js';

/** A held lease, in the store's terms: what renewal and release send. */
export interface StoreLease {
  /** The first store key: the one the lease is filed under. */
  readonly storeKey: string;
  /** Every store key of the lease: `[storeKey]` but for a multi-key lease. */
  readonly storeKeys: readonly string[];
  readonly owner: string;
  readonly ttlMs: number;
}

/**
 * Extends held leases of one kind through one backend call. Leases whose kinds share a renewer are
 * extended together: fair leases ride along with plain ones, as the contract has them.
 */
export interface LeaseRenewer {
  extend(leases: readonly StoreLease[]): Promise<ExtendResult[]>;
}

/** One lock's way to the store: the capability of its kind, bound to the lock's keys. */
export interface LeaseKind {
  readonly renewer: LeaseRenewer;
  /** One attempt; `join` keeps a place in a fair queue while the key is busy. */
  acquire(owner: string, ttlMs: number, join: boolean): Promise<AcquireResult>;
  release(owner: string): Promise<boolean>;
  /**
   * Waiters queue in the store (fair): they subscribe before their first attempt, poll at least
   * four times per ticket, and leave the queue when they give up.
   */
  readonly queued: boolean;
  /** Losing the lease loses the lock on every key: free the keys it may still hold. */
  readonly releaseWhenLost: boolean;
}

/**
 * How long a fair waiter's place in the queue lasts without a new attempt. Waiters re-attempt at
 * least four times per ticket lease, so only a waiter that died (or stalled this long) loses it.
 */
export const FAIR_TICKET_TTL_MS = 3_000;

const OFFERED = {
  fair: 'fair locks',
  semaphore: 'semaphores',
  multiKey: 'locks on several keys',
  readWrite: 'read-write locks',
};

/**
 * The one place that turns lock options into a kind of lease: checks that options and keys fit
 * together, asks the backend for the capability the kind needs, and refuses with
 * {@link InvalidLockOptionsError} when the backend lacks it.
 */
export class LeaseKinds {
  readonly #backend: LockBackend;
  readonly #mutex: LeaseRenewer;
  readonly #semaphore: LeaseRenewer | undefined;
  readonly #multiKey: LeaseRenewer | undefined;
  readonly #reads: LeaseRenewer | undefined;

  constructor(backend: LockBackend) {
    this.#backend = backend;
    this.#mutex = { extend: (leases) => backend.extend(leases.map(plainLease)) };
    const { semaphore, multiKey, readWrite } = backend;
    this.#semaphore = semaphore && { extend: (leases) => semaphore.extend(leases.map(plainLease)) };
    this.#reads = readWrite && { extend: (leases) => readWrite.extend(leases.map(plainLease)) };
    this.#multiKey = multiKey && {
      extend: (leases) =>
        multiKey.extend(
          leases.map(({ storeKeys, owner, ttlMs }) => ({ keys: storeKeys, owner, ttlMs })),
        ),
    };
  }

  /**
   * The kind of lease `options` ask for on `storeKeys`. `fairDefault` (the module default) applies
   * to plain one-key locks only.
   *
   * @throws {@link InvalidLockOptionsError}
   */
  choose(
    storeKeys: readonly string[],
    options: ResolvedLockOptions,
    fairDefault: boolean,
    where?: string,
  ): LeaseKind {
    const backend = this.#backend;
    checkTtlLimit(options.ttlMs, backend, 'ttl', where);
    const several = storeKeys.length > 1;
    const storeKey = storeKeys[0]!;
    if (options.mode !== undefined) {
      if (options.permits > 1) {
        throw new InvalidLockOptionsError('mode', 'cannot be combined with permits above 1', where);
      }
      if (several) {
        throw new InvalidLockOptionsError('mode', 'cannot be combined with several keys', where);
      }
      const readWrite = this.require('readWrite', 'mode', where);
      const { mode } = options;
      const fair = options.fair ?? fairDefault;
      return {
        // A write hold is the key's mutex lease; read holds are extended by the capability.
        renewer: mode === 'read' ? this.#reads! : this.#mutex,
        acquire: (owner, ttlMs, join) =>
          readWrite.acquire(storeKey, owner, ttlMs, {
            mode,
            fair,
            ticketTtlMs: FAIR_TICKET_TTL_MS,
            join,
          }),
        release: (owner) => readWrite.release(storeKey, owner),
        queued: true,
        releaseWhenLost: false,
      };
    }
    if (options.permits > 1) {
      if (several) {
        throw new InvalidLockOptionsError('permits', 'cannot be combined with several keys', where);
      }
      if (options.fair === true) {
        throw new InvalidLockOptionsError(
          'fair',
          'cannot be combined with permits above 1 (a fair semaphore is not offered)',
          where,
        );
      }
      const semaphore = this.require('semaphore', 'permits', where);
      const { permits } = options;
      return {
        renewer: this.#semaphore!,
        acquire: (owner, ttlMs) => semaphore.acquire(storeKey, owner, ttlMs, permits),
        release: (owner) => semaphore.release(storeKey, owner),
        queued: false,
        releaseWhenLost: false,
      };
    }
    if (several) {
      if (options.fair === true) {
        throw new InvalidLockOptionsError('fair', 'cannot be combined with several keys', where);
      }
      const multiKey = this.require('multiKey', 'key', where);
      return {
        renewer: this.#multiKey!,
        acquire: (owner, ttlMs) => multiKey.acquire(storeKeys, owner, ttlMs),
        release: (owner) => multiKey.release(storeKeys, owner),
        queued: false,
        releaseWhenLost: true,
      };
    }
    if (options.fair ?? fairDefault) {
      const fair = this.require('fair', 'fair', where);
      return {
        renewer: this.#mutex,
        acquire: (owner, ttlMs, join) =>
          fair.acquire(storeKey, owner, ttlMs, { ticketTtlMs: FAIR_TICKET_TTL_MS, join }),
        release: (owner) => fair.release(storeKey, owner),
        queued: true,
        releaseWhenLost: false,
      };
    }
    return new PlainLeaseKind(backend, storeKey, this.#mutex);
  }

  /**
   * The backend's `capability`, or an {@link InvalidLockOptionsError} on `field` saying the backend
   * does not offer it.
   */
  require<C extends keyof typeof OFFERED>(
    capability: C,
    field: string,
    where?: string,
  ): NonNullable<LockBackend[C]> {
    const offered = this.#backend[capability];
    if (offered) return offered as NonNullable<LockBackend[C]>;
    throw new InvalidLockOptionsError(
      field,
      `asks for ${OFFERED[capability]}, which the ${this.#backend.name} backend does not offer`,
      where,
    );
  }
}

/**
 * The kind of the plain lock on one key, the one most locks are: a class rather than an object
 * of closures, so that taking a lock allocates one object for it.
 */
class PlainLeaseKind implements LeaseKind {
  readonly queued = false;
  readonly releaseWhenLost = false;

  constructor(
    private readonly backend: LockBackend,
    private readonly storeKey: string,
    readonly renewer: LeaseRenewer,
  ) {}

  acquire(owner: string, ttlMs: number): Promise<AcquireResult> {
    return this.backend.acquire(this.storeKey, owner, ttlMs);
  }

  release(owner: string): Promise<boolean> {
    return this.backend.release(this.storeKey, owner);
  }
}

function plainLease({ storeKey, owner, ttlMs }: StoreLease) {
  return { key: storeKey, owner, ttlMs };
}
