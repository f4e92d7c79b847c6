import { type LockBackend, MemoryLockBackend } from '../../lib/index.js';

/** A memory store that offers no lease shapes (fair, semaphore, several keys), named `plain`. */
export function plainBackend(): LockBackend {
  const memory = new MemoryLockBackend();
  return {
    name: 'plain',
    acquire: (key, owner, ttlMs) => memory.acquire(key, owner, ttlMs),
    extend: (leases) => memory.extend(leases),
    release: (key, owner) => memory.release(key, owner),
    inspect: (key) => memory.inspect(key),
    close: () => memory.close(),
  };
}
