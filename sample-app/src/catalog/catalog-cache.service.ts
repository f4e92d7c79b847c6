import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { type Lock, LockService } from 'nestjs-locker';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';

/** One rebuild of the cache: the same for every caller that shared it, on any instance. */
export interface CatalogBuild {
  /** The instance that ran the rebuild. */
  readonly builtBy: string;
  /** The fencing token of its write, as a string (JSON has no bigint): one per rebuild. */
  readonly fencingToken: string;
  readonly products: number;
}

/** What `POST /catalog/refresh` answers: the rebuild it got, and which instance answered. */
export interface CacheRefresh extends CatalogBuild {
  readonly instance: string;
}

/**
 * A shared catalog cache (a row in Postgres) rebuilt from an expensive query. When many instances
 * find it stale at once, one rebuilds it and every other caller, on any instance, waits for that
 * rebuild and gets its result, instead of running the query again or going away empty-handed.
 */
@Injectable()
export class CatalogCacheService {
  constructor(
    private readonly locks: LockService,
    @Inject(Database) private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  /** Rebuilds the cache, or joins the rebuild in progress (here or on another instance). */
  async refresh(): Promise<CacheRefresh> {
    const build = await this.locks.share('cache:catalog', (lock) => this.rebuild(lock), {
      ttl: '30s',
      wait: '30s',
    });
    return { ...build, instance: this.config.instance };
  }

  /** The cached catalog, or `null` before the first refresh. */
  async read(): Promise<unknown> {
    const { rows } = await this.db.query<{ body: unknown }>(
      'SELECT body FROM catalog_cache WHERE id = 1',
    );
    return rows[0]?.body ?? null;
  }

  private async rebuild(lock: Lock): Promise<CatalogBuild> {
    const { rows } = await this.db.query('SELECT sku, stock FROM products ORDER BY sku');
    await sleep(this.config.slowCallMs); // stands for the expensive part
    const fencingToken = lock.fencingToken.toString();
    // Fenced: a rebuild whose lease ran out cannot overwrite a newer one.
    await this.db.query(
      `INSERT INTO catalog_cache (id, body, built_by, fence) VALUES (1, $1, $2, $3)
       ON CONFLICT (id) DO UPDATE
         SET body = EXCLUDED.body, built_by = EXCLUDED.built_by, built_at = clock_timestamp(),
             fence = EXCLUDED.fence, rebuilds = catalog_cache.rebuilds + 1
         WHERE catalog_cache.fence < EXCLUDED.fence`,
      [JSON.stringify(rows), this.config.instance, fencingToken],
    );
    return { builtBy: this.config.instance, fencingToken, products: rows.length };
  }
}
