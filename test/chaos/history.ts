/**
 * What chaos workers record, one JSON line per event, and the checker that judges a run.
 * Times are `process.hrtime.bigint()` nanoseconds: the system monotonic clock, shared by every
 * process on the machine and not faked by faketime (FAKETIME_DONT_FAKE_MONOTONIC=1).
 */

/** One critical section of one worker. */
export interface SectionRecord {
  readonly type: 'section';
  readonly worker: number;
  readonly key: string;
  readonly token: bigint;
  /** Right after acquire resolved. */
  readonly start: bigint;
  /** The last moment `lock.isHeld()` was seen true (before a write); the lease was valid until then. */
  readonly validEnd: bigint;
  readonly end: bigint;
  /** The section saw `isHeld()` turn false before it meant to finish. */
  readonly lost: boolean;
  /** `lock.signal.aborted` once the section ended (after a short grace for the abort event). */
  readonly aborted: boolean;
  /** Writes the fenced resource accepted / rejected as stale. */
  readonly accepted: number;
  readonly rejected: number;
}

/** Anything else a worker reports: an acquire that failed, an unhandled rejection, its exit. */
export interface EventRecord {
  readonly type: 'error' | 'unhandled' | 'done';
  readonly worker: number;
  readonly at: bigint;
  readonly message?: string;
}

export type HistoryRecord = SectionRecord | EventRecord;

/** Parses the shared log: one JSON object per line, bigints as decimal strings. */
export function parseHistory(text: string): HistoryRecord[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const raw = JSON.parse(line) as Record<string, unknown>;
      const record: Record<string, unknown> = { ...raw };
      for (const field of ['token', 'start', 'validEnd', 'end', 'at']) {
        if (typeof raw[field] === 'string') record[field] = BigInt(raw[field] as string);
      }
      return record as unknown as HistoryRecord;
    });
}

/** What the checker needs to know of the run besides the history. */
export interface CheckOptions {
  /**
   * When each fault healed (monotonic ns), and the key it hit if it hit one: a section (on that key)
   * must start within `progressBoundNs` after it.
   */
  readonly healedAt?: readonly Healed[];
  /** ttl + one renewal period + scheduling slack, in ns. */
  readonly progressBoundNs?: bigint;
  /** When the run's workers stopped taking locks (no progress is expected after that). */
  readonly stoppedAt?: bigint;
  /**
   * The store lost its data (a Redis restart without persistence): two holders at once are then
   * expected and only counted; fencing must still reject the stale one's writes.
   */
  readonly overlapsExpected?: boolean;
}

/** A fault that healed at `at`; `key` when it hit the holder of one key. */
export interface Healed {
  readonly at: bigint;
  readonly key?: string;
}

/** The verdict of one run: every violation found, as readable lines, and a few counts. */
export interface CheckResult {
  readonly violations: string[];
  readonly sections: number;
  readonly lostSections: number;
  readonly staleWritesRejected: number;
  /** Overlaps of valid leases found where they were expected (`overlapsExpected`). */
  readonly expectedOverlaps: number;
  /** Per healed fault, how long until the next section started on any key (ms). */
  readonly recoveryMs: number[];
}

const ms = (ns: bigint): number => Number(ns / 1_000n) / 1_000;

/**
 * Judges a run:
 * - no two sections on one key overlap while both held a valid lease (by `start`..`validEnd`);
 * - every section that lost its lease saw its signal abort;
 * - the fenced resource never rejected a write of a section that kept its lease (a valid holder
 *   with a token below one already accepted means tokens went backwards), unless the store lost
 *   its data and a newer holder overlapped it: then rejecting it is exactly fencing's job;
 * - after each fault healed, a section started within the progress bound;
 * - no worker reported an unhandled rejection.
 */
export function checkHistory(
  history: readonly HistoryRecord[],
  options: CheckOptions = {},
): CheckResult {
  const sections = history.filter((r): r is SectionRecord => r.type === 'section');
  const violations: string[] = [];
  let expectedOverlaps = 0;
  /** Sections a newer holder overlapped where that was expected: fencing must stop their writes. */
  const overtaken = new Set<SectionRecord>();

  const byKey = new Map<string, SectionRecord[]>();
  for (const section of sections) {
    const list = byKey.get(section.key) ?? [];
    list.push(section);
    byKey.set(section.key, list);
  }
  for (const [key, list] of byKey) {
    list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let latest: SectionRecord | undefined;
    for (const section of list) {
      if (latest && section.start < latest.validEnd && options.overlapsExpected) {
        expectedOverlaps++;
        overtaken.add(latest);
      } else if (latest && section.start < latest.validEnd) {
        violations.push(
          `overlap on "${key}": worker ${section.worker} (token ${section.token}) started ${ms(latest.validEnd - section.start)} ms before worker ${latest.worker} (token ${latest.token}) stopped holding a valid lease`,
        );
      }
      if (!latest || section.validEnd > latest.validEnd) latest = section;
    }
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.token <= list[i - 1]!.token) {
        violations.push(
          `fencing token on "${key}" went from ${list[i - 1]!.token} to ${list[i]!.token} in start order`,
        );
      }
    }
  }

  for (const section of sections) {
    if (section.lost && !section.aborted) {
      violations.push(
        `worker ${section.worker} lost "${section.key}" (token ${section.token}) but its signal never aborted`,
      );
    }
    if (section.rejected > 0 && !section.lost && !overtaken.has(section)) {
      violations.push(
        `the fenced resource rejected ${section.rejected} write(s) of worker ${section.worker} on "${section.key}" (token ${section.token}) while its lease was valid`,
      );
    }
  }

  for (const record of history) {
    if (record.type === 'unhandled') {
      violations.push(`worker ${record.worker}: unhandled rejection: ${record.message ?? ''}`);
    }
  }

  const recoveryMs: number[] = [];
  for (const { at: healed, key } of options.healedAt ?? []) {
    const next = sections
      .filter((s) => key === undefined || s.key === key)
      .map((s) => s.start)
      .filter((start) => start >= healed)
      .reduce<bigint | undefined>(
        (min, start) => (min === undefined || start < min ? start : min),
        undefined,
      );
    if (next === undefined) {
      if (
        options.stoppedAt === undefined ||
        options.stoppedAt > healed + (options.progressBoundNs ?? 0n)
      ) {
        violations.push(
          `no section started${key === undefined ? '' : ` on "${key}"`} after the fault healed`,
        );
      }
      continue;
    }
    recoveryMs.push(ms(next - healed));
    if (options.progressBoundNs !== undefined && next - healed > options.progressBoundNs) {
      violations.push(
        `progress${key === undefined ? '' : ` on "${key}"`} resumed ${ms(next - healed)} ms after the fault healed (bound ${ms(options.progressBoundNs)} ms)`,
      );
    }
  }

  return {
    violations,
    sections: sections.length,
    lostSections: sections.filter((s) => s.lost).length,
    staleWritesRejected: sections.reduce((sum, s) => sum + s.rejected, 0),
    expectedOverlaps,
    recoveryMs,
  };
}
