import { hostname } from 'node:os';
import type { LockMode } from '../contract/lock-backend.js';
import { MAX_INSTANCE_PAYLOAD_BYTES } from '../contract/lock-directory.js';
import type { ActivityEvent, CronTickReport, LockActivity } from './lock-activity.js';
import type { WaitingAcquire } from './waiting-acquires.js';

/**
 * The record an instance keeps in the store (`LockDirectory.announce`), as JSON: who it is, what
 * it holds and waits for, and its recent history. The lock dashboard of any instance reads every
 * record to show the whole app. Keys are as the app names them (without the key prefix).
 */
export interface InstanceRecordPayload {
  /** The format's version. */
  readonly v: 1;
  readonly app: string;
  readonly host: string;
  readonly pid: number;
  /** When the manager started, Unix epoch ms. */
  readonly startedAt: number;
  /** When this record was written, Unix epoch ms of the instance's clock. */
  readonly writtenAt: number;
  /** The locks it holds: since when, with which fencing token (a decimal string). */
  readonly held: readonly {
    readonly keys: readonly string[];
    readonly token: string;
    readonly since: number;
  }[];
  /** The acquires waiting. */
  readonly waiting: readonly {
    readonly keys: readonly string[];
    readonly since: number;
    readonly fair: boolean;
    readonly mode?: LockMode;
    readonly permits?: number;
  }[];
  readonly events: readonly ActivityEvent[];
  readonly cron: readonly { readonly job: string; readonly ticks: readonly CronTickReport[] }[];
  /** Some held locks or waits were left out to keep the record small. */
  readonly partial?: boolean;
}

/** A record's payload, or `undefined` when it is not one this version understands. */
export function parseInstancePayload(text: string): InstanceRecordPayload | undefined {
  try {
    const value = JSON.parse(text) as Partial<InstanceRecordPayload> | null;
    if (
      value?.v !== 1 ||
      typeof value.app !== 'string' ||
      typeof value.host !== 'string' ||
      typeof value.pid !== 'number' ||
      !Array.isArray(value.held) ||
      !Array.isArray(value.waiting) ||
      !Array.isArray(value.events) ||
      !Array.isArray(value.cron)
    ) {
      return undefined;
    }
    return value as InstanceRecordPayload;
  } catch {
    return undefined;
  }
}

/** A held lock as the record lists it. */
export interface HeldSummary {
  readonly keys: readonly string[];
  readonly fencingToken: bigint;
  /** How long it has been held, ms. */
  readonly heldMs: number;
}

/** What one instance's record is written from. */
export interface InstanceRecordSource {
  readonly appName: string;
  /** When the manager started, Unix epoch ms. */
  readonly startedAt: number;
  /** Now, Unix epoch ms. */
  readonly now: number;
  readonly held: readonly HeldSummary[];
  readonly waiting: readonly WaitingAcquire[];
  readonly activity: LockActivity;
}

/** Held locks and waits listed at most, before the record is cut to fit. */
const LISTED_AT_MOST = 500;

/**
 * The record's payload as JSON, its lists of held locks and waits cut (halved until it fits) so
 * that it stays within {@link MAX_INSTANCE_PAYLOAD_BYTES}; `partial` says when they were cut.
 */
export function instancePayload(source: InstanceRecordSource): string {
  const { now } = source;
  const held = source.held.map((lock) => ({
    keys: lock.keys,
    token: lock.fencingToken.toString(),
    since: Math.round(now - lock.heldMs),
  }));
  const waiting = source.waiting.map(({ key: _key, ...wait }) => wait);
  const record = (limit: number): InstanceRecordPayload => ({
    v: 1,
    app: source.appName,
    host: hostname(),
    pid: process.pid,
    startedAt: source.startedAt,
    writtenAt: now,
    held: held.slice(0, limit),
    waiting: waiting.slice(0, limit),
    events: source.activity.events(),
    cron: source.activity.ticks(),
    ...(held.length > limit || waiting.length > limit ? { partial: true } : {}),
  });
  for (let limit = LISTED_AT_MOST; ; limit = Math.floor(limit / 2)) {
    const text = JSON.stringify(record(limit));
    if (Buffer.byteLength(text) <= MAX_INSTANCE_PAYLOAD_BYTES || limit === 0) return text;
  }
}
