import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Database } from './database.js';
import { SchemaMigration } from './schema.migration.js';

/** The app's PostgreSQL pool, and its tables created at boot. */
@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new Database({
          connectionString: config.databaseUrl,
          options: `-c search_path=${config.dbSchema}`,
          max: 10,
        }),
    },
    SchemaMigration,
  ],
  exports: [Database],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.end();
  }
}
