import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { currentLock, LockModule, MemoryLockBackend, SingletonCron } from '../../../lib/index.js';
import { sleep } from '../../support/async.js';

const runs: { instance: number; tick: number; fence: bigint }[] = [];
const spacedRuns: number[] = [];

function appWith(instance: number, backend: MemoryLockBackend) {
  @Injectable()
  class Jobs {
    @SingletonCron('* * * * * *', { name: 'every-second', ttl: 5_000 })
    async everySecond() {
      runs.push({
        instance,
        tick: Math.round(Date.now() / 1_000) * 1_000,
        fence: currentLock()!.fencingToken,
      });
    }

    @SingletonCron('* * * * * *', { name: 'spaced', lockAtLeastFor: 2_500 })
    async spaced() {
      spacedRuns.push(Math.floor(Date.now() / 1_000) * 1_000);
    }
  }
  @Module({
    imports: [ScheduleModule.forRoot(), LockModule.forRoot({ backend })],
    providers: [Jobs],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('@SingletonCron with two app instances in one process (shared memory backend)', () => {
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    const backend = new MemoryLockBackend();
    apps.push(await appWith(1, backend), await appWith(2, backend));
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('registers the job in SchedulerRegistry under its name', () => {
    expect(apps[0]!.get(SchedulerRegistry).getCronJob('every-second')).toBeDefined();
  });

  it('runs every tick exactly once across both instances, under a lock', async () => {
    await sleep(3_500);
    const ticks = runs.map((run) => run.tick);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ticks).size).toBe(ticks.length);
    const sorted = [...ticks].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBe(1_000);
    expect(runs.every((run) => run.fence > 0n)).toBe(true);
  });

  it('with lockAtLeastFor, skips the ticks until that long after a run started, everywhere', () => {
    // Ran in the same 3.5 s as the test above: without lockAtLeastFor it would have run 3 or 4 times.
    expect(spacedRuns.length).toBeGreaterThanOrEqual(1);
    expect(spacedRuns.length).toBeLessThanOrEqual(2);
    for (let i = 1; i < spacedRuns.length; i++) {
      expect(spacedRuns[i]! - spacedRuns[i - 1]!).toBeGreaterThanOrEqual(3_000);
    }
  });
});
