import type { LockMode } from '../contract/lock-backend.js';
import type { ActivityEvent, CronTickReport } from './lock-activity.js';

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
