/**
 * Where the records of a lock key live in etcd. Every holder, waiter or permit of `key` is one etcd
 * key `<prefix><key>\0<owner>`: all of them form the range `[<prefix><key>\0, <prefix><key>\x01)`,
 * which no other lock key reaches (lock keys never hold a NUL, the manager refuses them), and the
 * owner is whatever follows the NUL. Ordered by create revision, that range is the key's queue.
 *
 * The value says what the record is, then the owner:
 * - `h<owner>`: holds the key (a mutex, fair or multi-key lease);
 * - `w<owner>`: waits in a fair queue (its lease is the ticket's);
 * - `s<owner>`: a semaphore permit (held when among the N oldest).
 */

export const HELD = 'h';
export const WAITING = 'w';
export const PERMIT = 's';

/** What a record's value starts with. */
export type RecordKind = typeof HELD | typeof WAITING | typeof PERMIT;

/** The range of every record of one lock key. */
export interface QueueRange {
  readonly key: Buffer;
  readonly range_end: Buffer;
}

/** The etcd keys of one lock key, as the backend's operations need them. */
export class LockKeys {
  /** The queue's range start, `<prefix><key>\0`. */
  readonly start: Buffer;
  readonly range: QueueRange;

  constructor(prefix: string, key: string) {
    this.start = Buffer.from(`${prefix}${key}\0`);
    this.range = { key: this.start, range_end: Buffer.from(`${prefix}${key}\x01`) };
  }

  /** The record of `owner`. */
  record(owner: string): Buffer {
    return Buffer.concat([this.start, Buffer.from(owner)]);
  }

  /** The owner of a record of this key. */
  ownerOf(record: Buffer): string {
    return record.subarray(this.start.length).toString();
  }
}

/** A record's value: its kind, then the owner. */
export function recordValue(kind: RecordKind, owner: string): Buffer {
  return Buffer.from(kind + owner);
}

/** The kind of a stored record (its value's first character). */
export function kindOf(value: Buffer): string {
  return value.subarray(0, 1).toString();
}
