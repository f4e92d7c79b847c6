import { randomBytes } from 'node:crypto';

const TOKEN_BYTES = 16;
const POOL_TOKENS = 256;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A fresh, unguessable 128-bit owner token from the OS CSPRNG, as 32 hex characters. Tokens are cut
 * from a pooled `randomBytes` buffer so that a hot acquire path makes one syscall per 256 locks.
 */
export function newOwnerToken(): string {
  if (offset + TOKEN_BYTES > pool.length) {
    pool = randomBytes(TOKEN_BYTES * POOL_TOKENS);
    offset = 0;
  }
  const token = pool.toString('hex', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}
