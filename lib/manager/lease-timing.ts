/**
 * The local view of a lease's lifetime, on the monotonic clock. The store decides expiry; this side
 * only needs a conservative bound: the store started the lease no earlier than the moment the
 * request was sent, so `sentAt + ttl` minus an allowance for clock-rate drift (1 % + 2 ms, as in the
 * Redlock analysis) is a moment before which the lease is certainly still valid.
 */
export function leaseDeadline(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs - (Math.floor(ttlMs * 0.01) + 2);
}

/** Renewal is due once a third of the lease has passed... */
export function renewalDueAt(sentAt: number, ttlMs: number): number {
  return sentAt + ttlMs / 3;
}

/**
 * ...and a lease may be renewed up to a sixth of its ttl early, so that leases falling due close
 * together share one batch instead of one round trip each.
 */
export function renewalEarliestAt(dueAt: number, ttlMs: number): number {
  return dueAt - ttlMs / 6;
}

/** After a failed renewal, retry well before the deadline, but not in a tight loop. */
export function renewalRetryAt(now: number, deadline: number): number {
  return now + Math.min(1_000, Math.max(10, (deadline - now) / 4));
}
