import type { LockEventEmitter } from './lock-events.js';

/** Something that went wrong with a lock of this instance, or an admin action on one. */
export interface ActivityEvent {
  /** Unix epoch ms. */
  readonly at: number;
  readonly type: 'lost' | 'renewalFailed' | 'releaseFailed' | 'forceReleased';
  readonly key?: string;
  readonly message: string;
}

/** How one instance saw one scheduled tick of a `@SingletonCron` job. */
export interface CronTickReport {
  /** The tick's scheduled time, Unix epoch ms. */
  readonly at: number;
  /**
   * `running`, `succeeded` or `failed` (this instance claimed the tick and ran it), `claimed-elsewhere`
   * (another instance had claimed it), `previous-running` (claimed, but the job's previous run was
   * still in progress).
   */
  readonly outcome: 'running' | 'succeeded' | 'failed' | 'claimed-elsewhere' | 'previous-running';
  readonly durationMs?: number;
  readonly error?: string;
}

const EVENTS_KEPT = 50;
const TICKS_KEPT_PER_JOB = 20;
const JOBS_KEPT = 100;
const MESSAGE_CHARS = 300;

/**
 * The recent history of one manager that a store cannot tell afterwards, kept in memory and
 * published in the instance's record for the lock dashboard: the last lost leases, failed renewals
 * and releases and admin actions, and each cron job's last ticks. Bounded: the newest
 * {@link EVENTS_KEPT} events and {@link TICKS_KEPT_PER_JOB} ticks per job.
 */
export class LockActivity {
  readonly #events: ActivityEvent[] = [];
  readonly #ticks = new Map<string, Map<number, CronTickReport>>();

  constructor(
    events: LockEventEmitter,
    private readonly wallNow: () => number,
  ) {
    events.on('lost', ({ key, error }) => this.record('lost', error.message, key));
    events.on('renewalFailed', ({ keys, error }) => {
      this.record('renewalFailed', error.message, keys.join(','));
    });
    events.on('releaseFailed', ({ key, error }) =>
      this.record('releaseFailed', error.message, key),
    );
  }

  /** Adds an event (the newest is kept first). */
  record(type: ActivityEvent['type'], message: string, key?: string): void {
    const event: ActivityEvent = {
      at: this.wallNow(),
      type,
      ...(key === undefined ? {} : { key }),
      message: message.length > MESSAGE_CHARS ? `${message.slice(0, MESSAGE_CHARS)}…` : message,
    };
    this.#events.unshift(event);
    if (this.#events.length > EVENTS_KEPT) this.#events.length = EVENTS_KEPT;
  }

  /** Records (or updates) how this instance saw `job`'s tick at `report.at`. */
  recordTick(job: string, report: CronTickReport): void {
    let ticks = this.#ticks.get(job);
    if (!ticks) {
      if (this.#ticks.size >= JOBS_KEPT) return;
      ticks = new Map();
      this.#ticks.set(job, ticks);
    }
    ticks.set(report.at, {
      ...report,
      ...(report.error === undefined ? {} : { error: report.error.slice(0, MESSAGE_CHARS) }),
    });
    if (ticks.size > TICKS_KEPT_PER_JOB) {
      const oldest = Math.min(...ticks.keys());
      ticks.delete(oldest);
    }
  }

  /** The events, newest first. */
  events(): readonly ActivityEvent[] {
    return [...this.#events];
  }

  /** Each job's ticks, newest first. */
  ticks(): { readonly job: string; readonly ticks: readonly CronTickReport[] }[] {
    return [...this.#ticks].map(([job, ticks]) => ({
      job,
      ticks: [...ticks.values()].sort((a, b) => b.at - a.at),
    }));
  }
}
