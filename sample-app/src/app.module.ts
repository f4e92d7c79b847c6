import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LockDashboardModule, LockModule } from 'nestjs-locker';
import { AccountsController } from './accounts/accounts.controller.js';
import { AccountsService } from './accounts/accounts.service.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/app-config.module.js';
import { dashboardOptionsFor } from './dashboard/dashboard.options.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthController } from './health/health.controller.js';
import { LockEventsLogger } from './health/lock-events.logger.js';
import { InventoryService } from './inventory/inventory.service.js';
import { keepsSharedResults, lockBackendFor } from './lock-backend.factory.js';
import { OrdersController } from './orders/orders.controller.js';
import { OrdersService } from './orders/orders.service.js';
import { NightlyReportService } from './reports/nightly-report.service.js';

/** The sample shop: orders, inventory, accounts, the nightly report and the catalog cache. */
@Module({
  imports: [
    AppConfigModule,
    DatabaseModule,
    ScheduleModule.forRoot(),
    LockModule.forRootAsync({
      imports: [AppConfigModule],
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        backend: lockBackendFor(config),
        keyPrefix: config.keyPrefix,
        defaults: { ttl: '30s', wait: 0 },
        // The lock dashboard shows each instance by this name (letters, digits and _ only).
        instanceId: config.instance.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64),
        presence: { appName: 'sample-app' },
      }),
    }),
  ],
  controllers: [OrdersController, AccountsController, HealthController],
  providers: [
    InventoryService,
    OrdersService,
    AccountsService,
    NightlyReportService,
    LockEventsLogger,
  ],
})
export class AppModule {}

/**
 * The app for `config`: with the lock dashboard at `/locks` (see `dashboardOptionsFor`), and the
 * catalog where the lock store can share its rebuilds.
 */
export function appModuleFor(config: AppConfig): DynamicModule {
  return {
    module: AppModule,
    imports: [
      LockDashboardModule.forRoot(dashboardOptionsFor(config)),
      ...(keepsSharedResults(config.lockStore) ? [CatalogModule] : []),
    ],
  };
}
