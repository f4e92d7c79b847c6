import type { WaitCycleMember, WaitGraph, WaitRecord } from '../../contract/wait-graph.js';
import type { RedisContext } from './redis-context.js';
import { WAIT_PUBLISH } from './scripts/wait-publish.lua.js';
import { WAIT_WITHDRAW } from './scripts/wait-withdraw.lua.js';

/**
 * The waits-for graph on one Redis server (or a Sentinel primary): the records live in the
 * fixed keys `WAIT_GRAPH_KEYS`, and a publish is one script that stores the record and walks the
 * lock keys and records from it. Not offered on a Cluster: the walk reads lock keys of any slot.
 *
 * @example
 * ```ts
 * const wait = { id: waitOwner, holds: [ownerOfA], keys: ['locker:account:B'] };
 * const cycles = await backend.waits?.publish(wait, 3_000, 8); // [] or the cycles through it
 * await backend.waits?.withdraw(waitOwner);
 * ```
 */
export class RedisWaitGraph implements WaitGraph {
  constructor(private readonly context: RedisContext) {}

  async publish(
    record: WaitRecord,
    ttlMs: number,
    maxLength: number,
  ): Promise<WaitCycleMember[][]> {
    const context = this.context;
    context.checkServerOnce();
    try {
      return await context.run(WAIT_PUBLISH, { record, ttlMs, maxLength });
    } catch (error) {
      throw context.error('publish a wait for', record.keys[0], error);
    }
  }

  async withdraw(id: string): Promise<void> {
    try {
      await this.context.run(WAIT_WITHDRAW, { id });
    } catch (error) {
      throw this.context.error('withdraw a wait', undefined, error);
    }
  }
}
