import type { InstanceRecord, ListedLease } from '../../contract/lock-directory.js';
import type { StoredInstance } from '../redis/scripts/instance-read.lua.js';
import { majorityExpiry } from './quorum-outcome.js';

/**
 * The pure part of a Redlock listing: from what each node that answered holds, what a majority
 * holds. No I/O here (unit-tested without servers).
 */

/**
 * The leases a majority of nodes agree on: a key listed once, for the owner that holds it on at
 * least `quorum` nodes, with the highest fencing token among them (as `inspect` reports it) and
 * the moment fewer than a majority will still hold it (`majorityExpiry`, the smallest expiry of
 * the majority that lasts longest). A lease on only a minority is not live.
 */
export function majorityLeases(
  perNode: readonly (readonly ListedLease[])[],
  quorum: number,
): ListedLease[] {
  const byKey = new Map<string, Map<string, ListedLease[]>>();
  for (const leases of perNode) {
    for (const lease of leases) {
      // Redlock keeps plain mutexes only; any other shape on a node is not one of its leases.
      if (lease.kind !== 'mutex') continue;
      let owners = byKey.get(lease.key);
      if (!owners) {
        owners = new Map();
        byKey.set(lease.key, owners);
      }
      const same = owners.get(lease.owner);
      if (same) same.push(lease);
      else owners.set(lease.owner, [lease]);
    }
  }
  const found: ListedLease[] = [];
  for (const owners of byKey.values()) {
    for (const same of owners.values()) {
      if (same.length < quorum) continue;
      let fencingToken = 0n;
      for (const lease of same)
        if (lease.fencingToken > fencingToken) fencingToken = lease.fencingToken;
      const expiresAt = majorityExpiry(
        same.map((lease) => lease.expiresAt),
        quorum,
      );
      found.push({ ...same[0]!, fencingToken, expiresAt });
    }
  }
  return found;
}

/**
 * The instance records a majority of nodes keep: an id held live on at least `quorum` nodes, with
 * the payload of the newest write among them (the largest writer's stamp) and the moment fewer
 * than a majority will still keep it.
 */
export function majorityInstances(
  perNode: readonly (readonly StoredInstance[])[],
  quorum: number,
): InstanceRecord[] {
  const byId = new Map<string, StoredInstance[]>();
  for (const records of perNode) {
    for (const record of records) {
      const same = byId.get(record.id);
      if (same) same.push(record);
      else byId.set(record.id, [record]);
    }
  }
  const found: InstanceRecord[] = [];
  for (const [id, same] of byId) {
    if (same.length < quorum) continue;
    let newest = same[0]!;
    for (const record of same) if (record.stamp > newest.stamp) newest = record;
    const expiresAt = majorityExpiry(
      same.map((record) => record.expiresAt),
      quorum,
    );
    found.push({ id, payload: newest.payload, expiresAt });
  }
  return found;
}
