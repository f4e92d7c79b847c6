import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { LockService } from 'nestjs-locker';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';

/** What `refresh()` did. */
export interface CacheRefresh {
  /** `false` when another instance was already rebuilding the cache. */
  readonly refreshed: boolean;
  readonly instance: string;
}

/**
 * A shared catalog cache (a row in Postgres) rebuilt from an expensive query. When many instances
 * find it stale at once, one rebuilds it and the others skip, instead of all running the query.
 */
@Injectable()
export class CatalogCacheService {
  constructor(
    private readonly locks: LockService,
    @Inject(Database) private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  /** Rebuilds the cache, unless another instance is doing it right now. */
  async refresh(): Promise<CacheRefresh> {
    const lock = await this.locks.tryAcquire('cache:catalog', { ttl: '30s' });
    if (!lock) return { refreshed: false, instance: this.config.instance };
    try {
      const { rows } = await this.db.query('SELECT sku, stock FROM products ORDER BY sku');
      await sleep(this.config.slowCallMs); // stands for the expensive part
      // Fenced: a rebuild whose lease ran out cannot overwrite a newer one.
      await this.db.query(
        `INSERT INTO catalog_cache (id, body, built_by, fence) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE
           SET body = EXCLUDED.body, built_by = EXCLUDED.built_by, built_at = clock_timestamp(),
               fence = EXCLUDED.fence
           WHERE catalog_cache.fence < EXCLUDED.fence`,
        [JSON.stringify(rows), this.config.instance, lock.fencingToken.toString()],
      );
      return { refreshed: true, instance: this.config.instance };
    } finally {
      await lock.release();
    }
  }

  /** The cached catalog, or `null` before the first refresh. */
  async read(): Promise<unknown> {
    const { rows } = await this.db.query<{ body: unknown }>(
      'SELECT body FROM catalog_cache WHERE id = 1',
    );
    return rows[0]?.body ?? null;
  }
}
