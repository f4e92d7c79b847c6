import { createHash } from 'node:crypto';
import type { RedisClientLike } from './redis-client.js';

/**
 * A Lua script called by its SHA1 (EVALSHA), falling back to EVAL when the server does not have it
 * cached yet (NOSCRIPT: first use, after a restart or SCRIPT FLUSH), which also caches it.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    client: RedisClientLike,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * The per-item answers of a batch script that answers a batch of one with that one value (an
 * array reply costs the server a table and the client an array, on every single-lock call).
 */
export function batchReply<T>(reply: unknown): T[] {
  return Array.isArray(reply) ? (reply as T[]) : [reply as T];
}
