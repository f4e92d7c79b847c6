import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { LockService } from 'nestjs-locker';
import { ACCOUNTS, OPENING_BALANCE } from '../accounts/accounts.js';
import { AppConfig } from '../config/app-config.js';
import { PRODUCTS } from '../inventory/products.js';
import { Database } from './database.js';
import { SCHEMA_SQL, SEED_ACCOUNTS_SQL, SEED_PRODUCTS_SQL } from './schema.sql.js';

/**
 * Creates the app's schema and tables when an instance boots. Instances booting together would
 * race on `CREATE TABLE IF NOT EXISTS` (it is not safe against itself), so the migration runs under
 * a lock: one instance creates, the others wait, then find everything there.
 */
@Injectable()
export class SchemaMigration implements OnModuleInit {
  constructor(
    private readonly locks: LockService,
    @Inject(Database) private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.locks.using(
      `migration:${this.config.dbSchema}`,
      async () => {
        await this.db.query(`CREATE SCHEMA IF NOT EXISTS ${this.config.dbSchema}`);
        await this.db.query(SCHEMA_SQL);
        await this.db.query(SEED_PRODUCTS_SQL, [PRODUCTS, this.config.initialStock]);
        await this.db.query(SEED_ACCOUNTS_SQL, [ACCOUNTS, OPENING_BALANCE]);
      },
      { wait: '30s', ttl: '30s' },
    );
  }
}
