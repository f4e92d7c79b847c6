import { randomBytes } from 'node:crypto';

const TOKEN_BYTES = 16;
const POOL_TOKENS = 256;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A fresh, unguessable owner token: `instancePrefix` (the manager's instance id and `-`, so the
 * lock dashboard can tell which instance holds a lease) and 128 bits from the OS CSPRNG as 32 hex
 * characters. Tokens are cut from a pooled `randomBytes` buffer so that a hot acquire path makes
 * one syscall per 256 locks.
 */
export function newOwnerToken(instancePrefix = ''): string {
  if (offset + TOKEN_BYTES > pool.length) {
    pool = randomBytes(TOKEN_BYTES * POOL_TOKENS);
    offset = 0;
  }
  const token = instancePrefix + pool.toString('hex', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}

/** What an instance id may hold: it ends at the first `-` of an owner token. */
const INSTANCE_ID = /^[A-Za-z0-9_]{1,64}$/;

/** A fresh instance id: 12 hex characters. */
export function newInstanceId(): string {
  return randomBytes(6).toString('hex');
}

/** Whether `id` can be an instance id (letters, digits, `_`; 1 to 64 of them). */
export function isInstanceId(id: unknown): id is string {
  return typeof id === 'string' && INSTANCE_ID.test(id);
}

/** The instance id an owner token starts with, or `undefined` for a token without one. */
export function ownerInstance(owner: string): string | undefined {
  const dash = owner.indexOf('-');
  if (dash <= 0) return undefined;
  const id = owner.slice(0, dash);
  return INSTANCE_ID.test(id) ? id : undefined;
}
