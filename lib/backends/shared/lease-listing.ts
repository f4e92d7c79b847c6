import type { LeaseListing, ListedLease } from '../../contract/lock-directory.js';

/**
 * A listing as `LockDirectory.list` answers it, from every live lease a backend found: sorted by
 * key then fencing token, cut to `limit`, `truncated` when some were cut.
 */
export function leaseListing(found: ListedLease[], limit: number, now: number): LeaseListing {
  found.sort(byKeyThenToken);
  return { leases: found.slice(0, limit), truncated: found.length > limit, now };
}

/** The listing order: by key, then by fencing token. */
export function byKeyThenToken(a: ListedLease, b: ListedLease): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.fencingToken < b.fencingToken ? -1 : a.fencingToken > b.fencingToken ? 1 : 0;
}

/** Instance records in the order `LockDirectory.instances` answers them: by id. */
export function byId(a: { readonly id: string }, b: { readonly id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
