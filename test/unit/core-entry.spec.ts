import { describe, expect, it } from '@jest/globals';
import * as core from '../../lib/core/index.js';
import * as root from '../../lib/index.js';

describe('the Nest-free entry nestjs-locker/core', () => {
  it('exports the same classes and functions as the root entry, so code can move between them', () => {
    const names = Object.keys(core);
    expect(names).toEqual(
      expect.arrayContaining(['LockManager', 'MemoryLockBackend', 'LockError']),
    );
    const differing = names.filter(
      (name) => (root as Record<string, unknown>)[name] !== (core as Record<string, unknown>)[name],
    );
    expect(differing).toEqual([]);
  });

  it('leaves out only the Nest layer: modules, service, decorators, interceptor, filter, health indicator and module token', () => {
    const onlyInRoot = Object.keys(root)
      .filter((name) => !(name in core))
      .sort();
    expect(onlyInRoot).toEqual([
      'LOCK_MODULE_OPTIONS',
      'LeaderElection',
      'LockDashboardModule',
      'LockExceptionFilter',
      'LockHealthIndicator',
      'LockInterceptor',
      'LockModule',
      'LockService',
      'Locked',
      'SingletonCron',
      'lockErrorResponse',
    ]);
  });
});
