import { hostname } from 'node:os';
import { libraryWarnings } from '../contract/library-warnings.js';
import { type LockDirectory, MAX_INSTANCE_PAYLOAD_BYTES } from '../contract/lock-directory.js';
import { type ClockTimer, type MonotonicClock, startTimer, wallNow } from './clock.js';
import type { InstanceRecordPayload } from './instance-record.js';
import type { LockActivity } from './lock-activity.js';
import type { WaitingAcquire } from './waiting-acquires.js';

/** A held lock as the record lists it. */
export interface HeldSummary {
  readonly keys: readonly string[];
  readonly fencingToken: bigint;
  /** How long it has been held, ms. */
  readonly heldMs: number;
}

/** What {@link InstancePresence} reads and writes through. */
export interface InstancePresenceDeps {
  readonly directory: LockDirectory;
  readonly prefix: string;
  readonly id: string;
  readonly appName: string;
  readonly intervalMs: number;
  readonly clock: MonotonicClock;
  readonly activity: LockActivity;
  readonly held: () => readonly HeldSummary[];
  readonly waiting: () => readonly WaitingAcquire[];
}

/** Held locks and waits listed at most, before the record is cut to fit. */
const LISTED_AT_MOST = 500;

/**
 * Keeps this instance's record in the store: written at start, then every `intervalMs`, kept for
 * three intervals (so one failed write does not make the instance look gone), withdrawn at stop.
 * One timer per manager, not per lock. A failed write is retried at the next interval and warned
 * about once per streak of failures (code `NESTJS_LOCKER_PRESENCE`).
 */
export class InstancePresence {
  readonly #deps: InstancePresenceDeps;
  readonly #startedAt: number;
  #timer: ClockTimer | undefined;
  #writing: Promise<void> | undefined;
  #failing = false;
  #stopped = false;

  constructor(deps: InstancePresenceDeps) {
    this.#deps = deps;
    this.#startedAt = wallNow(deps.clock);
  }

  /** Writes the record now and every interval after. */
  start(): void {
    this.#tick();
  }

  /** The record's payload as it would be written now. */
  payload(): string {
    const now = wallNow(this.#deps.clock);
    const held = this.#deps.held().map((lock) => ({
      keys: lock.keys,
      token: lock.fencingToken.toString(),
      since: Math.round(now - lock.heldMs),
    }));
    const waiting = this.#deps.waiting().map(({ key: _key, ...wait }) => wait);
    const record = (limit: number): InstanceRecordPayload => ({
      v: 1,
      app: this.#deps.appName,
      host: hostname(),
      pid: process.pid,
      startedAt: this.#startedAt,
      writtenAt: now,
      held: held.slice(0, limit),
      waiting: waiting.slice(0, limit),
      events: this.#deps.activity.events(),
      cron: this.#deps.activity.ticks(),
      ...(held.length > limit || waiting.length > limit ? { partial: true } : {}),
    });
    for (let limit = LISTED_AT_MOST; ; limit = Math.floor(limit / 2)) {
      const text = JSON.stringify(record(limit));
      if (Buffer.byteLength(text) <= MAX_INSTANCE_PAYLOAD_BYTES || limit === 0) return text;
    }
  }

  /** Writes the record now (waits for a write in progress first). */
  async refresh(): Promise<void> {
    await this.#writing;
    if (this.#stopped) return;
    this.#writing = this.#write();
    await this.#writing;
  }

  /** Stops writing and removes the record. Never rejects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#writing;
    await this.#deps.directory.withdraw(this.#deps.prefix, this.#deps.id).catch(() => undefined);
  }

  #tick(): void {
    if (this.#stopped) return;
    this.#writing = this.#write();
    this.#timer = startTimer(this.#deps.clock, () => this.#tick(), this.#deps.intervalMs, true);
  }

  async #write(): Promise<void> {
    const { directory, prefix, id, intervalMs } = this.#deps;
    try {
      await directory.announce(prefix, id, this.payload(), intervalMs * 3);
      this.#failing = false;
    } catch (error) {
      if (this.#failing) return;
      this.#failing = true;
      libraryWarnings.emit(
        `nestjs-locker: could not write this instance's record for the lock dashboard (retried every ${intervalMs} ms): ${error instanceof Error ? error.message : String(error)}`,
        'NESTJS_LOCKER_PRESENCE',
      );
    }
  }
}
