/**
 * The fault handling of the client the backend opens itself, in place of `etcd3`'s default (three
 * tries through a per-member circuit breaker that stays open for 5 s after three failures): a
 * call that fails with a transport or server error is tried once on each other member, at once,
 * and no member is ever shut out. The backend's command timeout bounds the whole call, so a lost
 * quorum (every member times out) fails within it instead of being retried past it; and a member
 * that comes back is used again on the next call, not 5 s later.
 *
 * Structural: it has the one method `etcd3` calls (`execute`), so no `cockatiel` import is needed.
 */

/** The policy shape `etcd3` calls: `execute(fn)`. */
export interface EtcdPolicy {
  execute<T>(
    fn: (context: { signal: AbortSignal; attempt: number }) => PromiseLike<T> | T,
  ): Promise<T>;
}

const NEVER_ABORTED = new AbortController().signal;

/** Calls through once: each member's own policy. */
export const passThrough: EtcdPolicy = {
  execute: async (fn) => fn({ signal: NEVER_ABORTED, attempt: 0 }),
};

/** Tries a call up to `attempts` times while it fails with an error `isRecoverable` accepts. */
export function tryEachMember(
  attempts: number,
  isRecoverable: (error: Error) => boolean,
): EtcdPolicy {
  return {
    async execute(fn) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn({ signal: NEVER_ABORTED, attempt });
        } catch (error) {
          if (attempt + 1 >= attempts || !(error instanceof Error) || !isRecoverable(error)) {
            throw error;
          }
        }
      }
    },
  };
}
