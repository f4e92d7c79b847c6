import type { SharedOutcome, SharedResults } from '../../contract/shared-results.js';
import type { RedisContext } from './redis-context.js';
import { RESULT_GET } from './scripts/result-get.lua.js';
import { RESULT_PUT } from './scripts/result-put.lua.js';

/**
 * Outcomes of shared runs on Redis: `{key}:result` beside the lock key (same hash tag, so one
 * Cluster slot), holding the outcome and the server time it was stored, with a `PX` expiry. The
 * put checks the mutex owner in the same script that stores.
 *
 * @example
 * ```ts
 * if (await backend.results.put('locker:catalog', owner, '{"ok":true,"value":42}', 60_000)) {
 *   await backend.release('locker:catalog', owner);
 * }
 * ```
 */
export class RedisResults implements SharedResults {
  constructor(private readonly context: RedisContext) {}

  async put(key: string, owner: string, value: string, ttlMs: number): Promise<boolean> {
    const context = this.context;
    context.checkServerOnce();
    try {
      return await context.run(RESULT_PUT, { key, owner, value, ttlMs });
    } catch (error) {
      throw context.error('store the outcome of', key, error);
    }
  }

  async get(key: string): Promise<SharedOutcome | null> {
    try {
      return await this.context.run(RESULT_GET, { key });
    } catch (error) {
      throw this.context.error('read the outcome of', key, error);
    }
  }
}
