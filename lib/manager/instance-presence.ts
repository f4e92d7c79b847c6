import { libraryWarnings } from '../contract/library-warnings.js';
import type { LockDirectory } from '../contract/lock-directory.js';
import { type ClockTimer, type MonotonicClock, startTimer, wallNow } from './clock.js';
import { type HeldSummary, instancePayload } from './instance-record.js';
import type { LockActivity } from './lock-activity.js';
import type { WaitingAcquire } from './waiting-acquires.js';

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
    return instancePayload({
      appName: this.#deps.appName,
      startedAt: this.#startedAt,
      now: wallNow(this.#deps.clock),
      held: this.#deps.held(),
      waiting: this.#deps.waiting(),
      activity: this.#deps.activity,
    });
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
