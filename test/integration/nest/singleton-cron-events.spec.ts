import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LockModule, LockService, PostgresLockBackend, SingletonCron } from '../../../lib/index.js';
import { sleep, uniqueId } from '../../support/async.js';
import { PG_URL } from '../../support/servers.js';

// Past the 10 s a tick's claim lasts, when untracked claims used to be reported lost. Set
// LOCKER_CRON_SECONDS=60 for the full minute.
const SECONDS = Number(process.env.LOCKER_CRON_SECONDS ?? 13);
const runs: number[] = [];

function appWith(keyPrefix: string) {
  @Injectable()
  class Jobs {
    @SingletonCron('* * * * * *', { name: 'every-second' })
    async everySecond() {
      runs.push(Math.round(Date.now() / 1_000));
    }
  }
  @Module({
    imports: [
      ScheduleModule.forRoot(),
      LockModule.forRoot({
        backend: new PostgresLockBackend({ connectionString: PG_URL }),
        keyPrefix,
      }),
    ],
    providers: [Jobs],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('@SingletonCron every second on Postgres, two instances', () => {
  const apps: INestApplicationContext[] = [];
  const events = { acquired: 0, released: 0, lost: 0 };

  beforeAll(async () => {
    const keyPrefix = `cron-events:${uniqueId()}:`;
    apps.push(await appWith(keyPrefix), await appWith(keyPrefix));
    for (const app of apps) {
      const locks = app.get(LockService);
      for (const event of ['acquired', 'released', 'lost'] as const) {
        locks.on(event, () => events[event]++);
      }
    }
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it(
    `emits no lost event in ${SECONDS} s of ticks, and runs each tick once`,
    async () => {
      await sleep(SECONDS * 1_000);
      expect(events.lost).toBe(0);
      expect(runs.length).toBeGreaterThan(0);
      expect(new Set(runs).size).toBe(runs.length);
      // Only the run locks are acquired and released: tick claims are not held locks.
      expect(events.acquired).toBe(runs.length);
    },
    (SECONDS + 30) * 1_000,
  );
});
