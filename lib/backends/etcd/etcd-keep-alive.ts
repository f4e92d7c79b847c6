import type { EtcdContext } from './etcd-context.js';
import { EtcdReplyError } from './etcd-errors.js';

/** What etcd answered to renewing one lease. */
export interface Renewal {
  /** The lease's TTL in ms, from now on; 0 when etcd no longer has the lease (or it expired). */
  readonly ttlMs: number;
  /** This process's wall clock when the renewal was sent. */
  readonly sentAt: number;
}

/**
 * Renews leases with LeaseKeepAlive, all of them on one stream opened for the batch: one request
 * per lease written at once, one answer each, then the stream is half-closed. etcd answers a TTL
 * of 0 for a lease it no longer has, and also for one that has expired but is not revoked yet (it
 * waits for the revoke before answering), so a renewal never revives an expired lease.
 *
 * One stream per batch rather than one kept open: a late answer on a shared stream could not be
 * told from the answer to a later request for the same lease. The stream is never cancelled
 * (`etcd3` would take a cancelled stream for a failed member and reset its connections); it is
 * half-closed, and its gRPC deadline ends it when the server does not.
 */
export async function keepAlive(
  context: EtcdContext,
  ids: readonly string[],
): Promise<Map<string, Renewal>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  return context.bound(renewOnAMember(context, unique));
}

/** gRPC's UNAVAILABLE: the member could not be reached (another one may be). */
const UNAVAILABLE = 14;
/**
 * A stream is not retried by the client's fault policy, and `etcd3` opens each one on a member
 * picked at random (not each member in turn, as its unary calls go): so the backend tries again,
 * up to this many times, while attempts fail as UNAVAILABLE and the command timeout has not
 * passed. With one of three members down, six tries all land on it once in 729 batches (one CI
 * run saw it); 24 tries, once in 2.8 × 10¹¹. A refused connection fails at once, so the tries
 * cost nothing while a member is down, and the deadline stops them when none answers.
 */
const STREAM_ATTEMPTS = 24;

async function renewOnAMember(
  context: EtcdContext,
  unique: readonly string[],
): Promise<Map<string, Renewal>> {
  const deadline = Date.now() + context.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await renew(context, unique);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const retry = code === UNAVAILABLE && attempt < STREAM_ATTEMPTS && Date.now() < deadline;
      if (!retry) throw error;
    }
  }
}

/** One keep-alive stream: every lease written at once, one answer each, then half-closed. */
async function renew(
  context: EtcdContext,
  unique: readonly string[],
): Promise<Map<string, Renewal>> {
  const renewals = new Map<string, Renewal>();
  const sentAt = Date.now();
  const stream = await context.client.leaseClient.leaseKeepAlive(context.callOptions());
  let settled = false;
  const answered = new Promise<Map<string, Renewal>>((resolve, reject) => {
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      stream.end();
      if (error) reject(error);
      else resolve(renewals);
    };
    stream.on('data', (reply) => {
      if (!unique.includes(reply.ID) || renewals.has(reply.ID)) return;
      renewals.set(reply.ID, { ttlMs: Math.max(0, Number(reply.TTL)) * 1000, sentAt });
      if (renewals.size === unique.length) finish();
    });
    stream.on('error', (error) => finish(error));
    stream.on('end', () =>
      finish(
        new EtcdReplyError(
          `keep-alive stream ended after ${renewals.size} of ${unique.length} answers`,
        ),
      ),
    );
  });
  for (const ID of unique) stream.write({ ID });
  return answered;
}
