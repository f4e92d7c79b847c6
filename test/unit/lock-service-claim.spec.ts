import { describe, expect, it } from '@jest/globals';
import {
  LockManager,
  LockManagerClosedError,
  LockService,
  MemoryLockBackend,
} from '../../lib/index.js';

describe('LockService.claim', () => {
  it('claims a key once, for its ttl', async () => {
    const manager = new LockManager({ backend: new MemoryLockBackend() });
    const locks = new LockService(manager);
    expect(await locks.claim('cron:report:1', '10s')).toBe(true);
    expect(await locks.claim('cron:report:1', '10s')).toBe(false);
    await manager.close();
  });

  it('refuses to claim while the module drains, so a stopping instance never takes a tick', async () => {
    const manager = new LockManager({ backend: new MemoryLockBackend() });
    const locks = new LockService(manager);
    await locks.drain(1_000);
    expect(() => locks.claim('cron:report:2', '10s')).toThrow(LockManagerClosedError);
    expect(await manager.isLocked('cron:report:2')).toBe(false);
    await manager.close();
  });
});
