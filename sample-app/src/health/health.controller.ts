import { Controller, Get, Param } from '@nestjs/common';
import { LockManager, LockService } from 'nestjs-locker';
import { AppConfig } from '../config/app-config.js';
import { InventoryService } from '../inventory/inventory.service.js';

/** `GET /health`, `GET /health/locks/:key`, `GET /health/stock`: what operators look at. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly config: AppConfig,
    private readonly manager: LockManager,
    private readonly locks: LockService,
    private readonly inventory: InventoryService,
  ) {}

  @Get()
  health() {
    return {
      status: 'ok',
      instance: this.config.instance,
      pid: process.pid,
      lockStore: this.manager.backend.name,
      heldLocks: this.manager.heldCount,
      lockedCallsInFlight: this.locks.inFlight,
    };
  }

  /** Who holds `key` (without the key prefix) right now, as the store says. */
  @Get('locks/:key')
  async lock(@Param('key') key: string) {
    const info = await this.locks.inspect(key);
    return info === null
      ? { key, locked: false }
      : {
          key,
          locked: true,
          fencingToken: info.fencingToken.toString(),
          expiresAt: info.expiresAt.toISOString(),
          heldHere: info.owner !== undefined,
        };
  }

  @Get('stock')
  stock(): Promise<Record<string, number>> {
    return this.inventory.stock();
  }
}
