import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { currentLock, SingletonCron } from 'nestjs-locker';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';
import { REPORT_CRON, REPORT_TTL } from './report-schedule.js';

/**
 * The nightly sales report: every instance schedules it, exactly one runs each tick. Each run is
 * recorded in `report_runs` (started, then finished), which is what the demo checks.
 */
@Injectable()
export class NightlyReportService {
  readonly #logger = new Logger(NightlyReportService.name);

  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  @SingletonCron(REPORT_CRON, { name: 'nightly-report', ttl: REPORT_TTL })
  async build(): Promise<void> {
    const lock = currentLock()!;
    const started = await this.db.query<{ id: number }>(
      'INSERT INTO report_runs (instance, fencing_token, started_at) VALUES ($1, $2, $3) RETURNING id',
      [this.config.instance, lock.fencingToken.toString(), new Date()],
    );
    // Stands for the report's heavy queries; stops early if the lease is lost meanwhile.
    await sleep(this.config.reportWorkMs, undefined, { signal: lock.signal });
    const totals = await this.db.query<{ orders: number; items: number }>(
      'SELECT count(*)::int AS orders, coalesce(sum(qty), 0)::int AS items FROM orders',
    );
    const { orders, items } = totals.rows[0]!;
    await this.db.query(
      'UPDATE report_runs SET finished_at = clock_timestamp(), orders = $2, items = $3 WHERE id = $1',
      [started.rows[0]!.id, orders, items],
    );
    this.#logger.log(
      `report: ${orders} orders, ${items} items (fencing token ${lock.fencingToken})`,
    );
  }
}
