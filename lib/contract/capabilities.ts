/**
 * The names of the optional capabilities a `LockBackend` may expose, as properties of the
 * same name. Code that wraps a backend (the testing kit's views, spies) walks this list, so a new
 * capability is wrapped by adding its name here.
 */
export const CAPABILITIES = [
  'fair',
  'semaphore',
  'multiKey',
  'readWrite',
  'waits',
  'results',
  'directory',
] as const;

/** One of {@link CAPABILITIES}. */
export type Capability = (typeof CAPABILITIES)[number];
