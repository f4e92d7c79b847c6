/**
 * Where the etcd backend's directory reads and writes, under the backend's `prefix`:
 *
 * - Lock records are `<prefix><key>\0<owner>` (see etcd-keys.ts). A lock key never holds a NUL,
 *   so the records of every key that starts with a listing prefix `P` are exactly the etcd keys
 *   that start with `<prefix>P`: one contiguous range, read as such.
 * - Instance records are `<prefix>\0instances\0<encoded P>\0<id>`: they start with a NUL right
 *   after `<prefix>`, which no lock record does (a lock key is never empty), so they never collide
 *   with a lock key and a listing skips them. `P` is percent-encoded (no NUL in it), so the NUL
 *   after it ends it and `<id>` is the rest, whatever it holds.
 */

/** A range of etcd keys, `[key, range_end)`. */
export interface KeyRange {
  readonly key: Buffer;
  readonly range_end: Buffer;
}

/** Every etcd key that starts with `start` (etcd's prefix range; `\0` as end: to the last key). */
export function prefixRange(start: Buffer): KeyRange {
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return { key: start, range_end: end.subarray(0, i + 1) };
    }
  }
  return { key: start, range_end: Buffer.from([0]) };
}

/** The range of every lock record whose lock key starts with `keyPrefix`. */
export function lockRecordsRange(prefix: string, keyPrefix: string): KeyRange {
  return prefixRange(Buffer.from(`${prefix}${keyPrefix}`));
}

/** A lock record's etcd key read back: its lock key and owner; `undefined` for anything else. */
export function parseLockRecord(
  prefix: Buffer,
  record: Buffer,
): { readonly key: string; readonly owner: string } | undefined {
  if (!record.subarray(0, prefix.length).equals(prefix)) return undefined;
  const nul = record.indexOf(0, prefix.length);
  if (nul <= prefix.length) return undefined;
  return {
    key: record.subarray(prefix.length, nul).toString(),
    owner: record.subarray(nul + 1).toString(),
  };
}

/** The etcd keys of the instance records under one directory prefix. */
export class InstanceKeys {
  /** `<prefix>\0instances\0<encoded P>\0`: every record of `P` starts with it. */
  readonly start: Buffer;
  readonly range: KeyRange;

  constructor(prefix: string, directoryPrefix: string) {
    this.start = Buffer.from(`${prefix}\0instances\0${encodeURIComponent(directoryPrefix)}\0`);
    this.range = prefixRange(this.start);
  }

  /** The record of instance `id`. */
  record(id: string): Buffer {
    return Buffer.concat([this.start, Buffer.from(id)]);
  }

  /** The instance id of a record of this prefix. */
  idOf(record: Buffer): string {
    return record.subarray(this.start.length).toString();
  }
}
