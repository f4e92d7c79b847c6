import type {
  InstanceListing,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import { byId, leaseListing } from '../shared/lease-listing.js';
import { hashSlot } from './cluster-slot.js';
import type { RedisCommandClient } from './redis-client.js';
import { MAX_BATCH, type RedisContext } from './redis-context.js';
import { chunks, type ScanOptions, scanLockKeys, serverTimeMs } from './redis-scan.js';
import { WriteStamps } from './redis-write-stamps.js';
import { DIRECTORY_LIST, type ListedBatch } from './scripts/directory-list.lua.js';
import { INSTANCE_ANNOUNCE } from './scripts/instance-announce.lua.js';
import { INSTANCE_READ } from './scripts/instance-read.lua.js';
import { INSTANCE_WITHDRAW } from './scripts/instance-withdraw.lua.js';

/**
 * The directory of `RedisLockBackend`: on one server, or on every master of a Cluster.
 *
 * A listing SCANs each server for the lock keys under the prefix (`scanLockKeys`) and reads each
 * page's leases with one script run per {@link MAX_BATCH} keys (on a Cluster, per hash slot),
 * sent together, so expiry is judged by the server's clock and a page costs one round trip. Its
 * `now` is the latest server clock any read saw, and a lease that expired by then is left out.
 * Nothing is written and nothing is locked; the cost is O(keys under the prefix).
 *
 * Instance records are a hash and a sorted set of expiries per prefix, in one slot
 * (`instanceKeysOf`): an announce or a read is one script run, and `instances` one round trip.
 */
export class RedisDirectory implements LockDirectory {
  readonly #stamps = new WriteStamps();
  readonly #scan: ScanOptions;

  constructor(
    private readonly context: RedisContext,
    /** The backend's client, which takes any command (`call`): a listing sends SCAN through it. */
    private readonly client: RedisCommandClient,
  ) {
    this.#scan = { backend: context.backend, bound: (call) => context.bound(call) };
  }

  async list(prefix: string, limit: number): Promise<LeaseListing> {
    try {
      const servers = await this.#servers();
      const batches = (
        await Promise.all(servers.map((server) => this.#listServer(server, prefix)))
      ).flat();
      const now =
        batches.length > 0
          ? batches.reduce((latest, batch) => Math.max(latest, batch.nowMs), 0)
          : await serverTimeMs(this.client, this.#scan);
      const found: ListedLease[] = [];
      for (const batch of batches) {
        for (const lease of batch.leases) if (lease.expiresAt > now) found.push(lease);
      }
      return leaseListing(found, limit, now);
    } catch (error) {
      throw this.context.error('list', undefined, error);
    }
  }

  async announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    try {
      const stamp = this.#stamps.next();
      const ttl = Math.max(1, Math.ceil(ttlMs));
      await this.context.run(INSTANCE_ANNOUNCE, { prefix, id, payload, ttlMs: ttl, stamp });
    } catch (error) {
      throw this.context.error('announce', undefined, error);
    }
  }

  async withdraw(prefix: string, id: string): Promise<void> {
    try {
      await this.context.run(INSTANCE_WITHDRAW, { prefix, id });
    } catch (error) {
      throw this.context.error('withdraw', undefined, error);
    }
  }

  async instances(prefix: string): Promise<InstanceListing> {
    try {
      const { nowMs, records } = await this.context.run(INSTANCE_READ, { prefix });
      const instances = records
        .map(({ id, payload, expiresAt }) => ({ id, payload, expiresAt }))
        .sort(byId);
      return { instances, now: nowMs };
    } catch (error) {
      throw this.context.error('instances', undefined, error);
    }
  }

  /**
   * The servers to scan: the one server, or every master of a Cluster. A Cluster client knows its
   * masters once it has connected; a first command (any) waits for that.
   */
  async #servers(): Promise<readonly RedisCommandClient[]> {
    const cluster = this.context.client;
    if (!this.context.cluster || !cluster.nodes) return [this.client];
    if (cluster.nodes('master').length === 0) await serverTimeMs(this.client, this.#scan);
    return cluster.nodes('master');
  }

  /** The leases of one server's lock keys under `prefix`, a batch per script run. */
  async #listServer(server: RedisCommandClient, prefix: string): Promise<ListedBatch[]> {
    const batches: ListedBatch[] = [];
    for await (const page of scanLockKeys(server, prefix, this.#scan)) {
      batches.push(...(await Promise.all(this.#runs(page).map((run) => this.#read(run)))));
    }
    return batches;
  }

  /** A page's keys in runs of one script each: by hash slot on a Cluster, then by size. */
  #runs(page: string[]): string[][] {
    if (!this.context.cluster) return chunks(page, MAX_BATCH);
    const bySlot = new Map<number, string[]>();
    for (const lockKey of page) {
      const slot = hashSlot(lockKey);
      const group = bySlot.get(slot);
      if (group) group.push(lockKey);
      else bySlot.set(slot, [lockKey]);
    }
    return [...bySlot.values()].flatMap((group) => chunks(group, MAX_BATCH));
  }

  #read(lockKeys: string[]): Promise<ListedBatch> {
    return this.context.run(DIRECTORY_LIST, lockKeys);
  }
}
