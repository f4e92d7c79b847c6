import { Redlock as SesameRedlock } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import RedlockBeta from 'redlock-beta';
import type { LockAdapter } from './lock-adapter.js';
import { redisSemaphore } from './redis-semaphore.js';
import { redlock } from './redlock.js';
import { redlockV5 } from './redlock-v5.js';

/**
 * Every peer library, on the same Redis clients (one server, or several for the quorum): what
 * each scenario runs next to nestjs-locker and the raw baseline.
 */
export function peerLocks(clients: readonly Redis[]): LockAdapter[] {
  return [
    redlock(clients),
    redlockV5(
      'redlock 5.0.0-beta.2',
      'new Redlock',
      (servers, settings) => new RedlockBeta(servers, settings),
      clients,
    ),
    redlockV5(
      '@sesamecare-oss/redlock',
      'new Redlock',
      (servers, settings) => new SesameRedlock(servers, settings),
      clients,
    ),
    redisSemaphore(clients),
  ];
}
