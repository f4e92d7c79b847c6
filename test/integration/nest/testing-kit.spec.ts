// The README's example of a user testing their own @SingletonCron job with nestjs-locker/testing:
// the app module as it is deployed (Redis), three instances of it in one jest process on the
// testbed's shared memory store, and time moved by hand.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  currentLock,
  LockManager,
  LockModule,
  RedisLockBackend,
  SingletonCron,
} from '../../../lib/index.js';
import { LockTestbed, ManualClock } from '../../../lib/testing/index.js';
import { REDIS_URL } from '../../support/servers.js';

const sent: bigint[] = [];

@Injectable()
class ReportsService {
  @SingletonCron('0 0 3 * * *', { name: 'nightly-report', ttl: '5m' })
  async nightly() {
    sent.push(currentLock()!.fencingToken);
  }
}

@Module({
  imports: [
    ScheduleModule.forRoot(),
    LockModule.forRootAsync({
      useFactory: () => ({ backend: new RedisLockBackend({ url: REDIS_URL, onWarning: false }) }),
    }),
  ],
  providers: [ReportsService],
})
class AppModule {}

describe('nightly report (a user test with nestjs-locker/testing)', () => {
  const clock = new ManualClock(new Date('2030-01-01T03:00:00Z'));
  const testbed = new LockTestbed({ clock });
  let instances: TestingModule[] = [];

  beforeAll(async () => {
    instances = await Promise.all(
      [1, 2, 3].map(async () => {
        const moduleRef = await testbed
          .instance(Test.createTestingModule({ imports: [AppModule] }))
          .compile();
        return moduleRef.init();
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(instances.map((app) => app.close()));
    await testbed.close();
  });

  it('runs on the testbed, not on Redis', () => {
    for (const app of instances) expect(app.get(LockManager).backend.name).toBe('memory');
  });

  it('sends the report once per night, whichever instances fire', async () => {
    // 03:00 on every instance at once: one of them claims the tick.
    await Promise.all(instances.map((app) => app.get(ReportsService).nightly()));
    expect(sent).toHaveLength(1);

    // The next night, one instance fires a little late: still once.
    await clock.advanceTo(new Date('2030-01-02T03:00:00Z'));
    await instances[0]!.get(ReportsService).nightly();
    await clock.advance('2s');
    await instances[1]!.get(ReportsService).nightly();
    expect(sent).toHaveLength(2);
    expect(sent[1]! > sent[0]!).toBe(true);
  });
});
