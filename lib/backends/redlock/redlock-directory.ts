import type {
  InstanceListing,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import type { RedisCommandClient } from '../redis/redis-client.js';
import { chunks, type ScanOptions, scanLockKeys, serverTimeMs } from '../redis/redis-scan.js';
import { WriteStamps } from '../redis/redis-write-stamps.js';
import { DIRECTORY_LIST } from '../redis/scripts/directory-list.lua.js';
import { INSTANCE_ANNOUNCE } from '../redis/scripts/instance-announce.lua.js';
import { INSTANCE_READ } from '../redis/scripts/instance-read.lua.js';
import { INSTANCE_WITHDRAW } from '../redis/scripts/instance-withdraw.lua.js';
import { byId, leaseListing } from '../shared/lease-listing.js';
import { MAX_BATCH, nodeReport, type QuorumContext } from './quorum-context.js';
import { onEveryNode } from './quorum-every-node.js';
import { majorityInstances, majorityLeases } from './quorum-listing.js';
import type { QuorumNode } from './quorum-node.js';
import { majorityExpiry } from './quorum-outcome.js';
import type { NodeAnswer } from './quorum-round.js';
import { RedlockQuorumError } from './redlock-quorum.error.js';

/** What one node holds under a prefix, with its clock when it read the last of it. */
interface NodeListing {
  readonly nowMs: number;
  readonly leases: ListedLease[];
}

/**
 * The directory of `RedlockLockBackend`: what a majority of the independent nodes holds.
 *
 * A listing scans every node as the single-node backend scans its server (SCAN MATCH, the leases
 * of each page read by one script run per batch, by the node's clock) and keeps a lease where a
 * majority of the nodes that answered hold it for the same owner (`majorityLeases`): a lease left
 * on a minority (a failed acquire not yet undone, a node that missed a release) is not live. Its
 * `now` is the moment a majority of the nodes' clocks had reached (`majorityExpiry` of their
 * readings). It fails with a `RedlockQuorumError` when fewer than a majority answered; with some
 * nodes down, a lease is listed only where the nodes that answered make its majority alone.
 *
 * Instance records are written to every node (a majority must accept), each node keeping them
 * by its own clock; `instances` reads every node and keeps each id a majority keeps, with the
 * payload of the newest write (the writer's stamp orders them).
 */
export class RedlockDirectory implements LockDirectory {
  readonly #stamps = new WriteStamps();
  readonly #scan: ScanOptions;

  private constructor(
    private readonly context: QuorumContext,
    /** Each node's client, able to send any command (SCAN, TIME), in the order of the nodes. */
    private readonly commands: readonly RedisCommandClient[],
  ) {
    const { deadlines, commandTimeoutMs } = context;
    this.#scan = { backend: 'redlock', bound: (call) => deadlines.bound(call, commandTimeoutMs) };
  }

  /** The directory of these nodes, `undefined` when a node's client cannot send any command. */
  static of(context: QuorumContext): RedlockDirectory | undefined {
    const commands: RedisCommandClient[] = [];
    for (const { client } of context.nodes) {
      if (!client.call) return undefined;
      commands.push({ call: client.call.bind(client) });
    }
    return new RedlockDirectory(context, commands);
  }

  async list(prefix: string, limit: number): Promise<LeaseListing> {
    const answers = await onEveryNode(this.context, (node) => this.#listNode(node, prefix));
    const listed = this.#majority('list', answers);
    const now = majorityExpiry(
      listed.map((node) => node.nowMs),
      this.context.quorum,
    );
    const leases = majorityLeases(
      listed.map((node) => node.leases),
      this.context.quorum,
    );
    return leaseListing(
      leases.filter((lease) => lease.expiresAt > now),
      limit,
      now,
    );
  }

  async announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    const input = {
      prefix,
      id,
      payload,
      ttlMs: Math.max(1, Math.ceil(ttlMs)),
      stamp: this.#stamps.next(),
    };
    const answers = await onEveryNode(this.context, (node) =>
      this.#scan.bound(node.run(INSTANCE_ANNOUNCE, input)),
    );
    this.#majority('announce', answers);
  }

  async withdraw(prefix: string, id: string): Promise<void> {
    const answers = await onEveryNode(this.context, (node) =>
      this.#scan.bound(node.run(INSTANCE_WITHDRAW, { prefix, id })),
    );
    this.#majority('withdraw', answers);
  }

  async instances(prefix: string): Promise<InstanceListing> {
    const answers = await onEveryNode(this.context, (node) =>
      this.#scan.bound(node.run(INSTANCE_READ, { prefix })),
    );
    const read = this.#majority('instances', answers);
    const { quorum } = this.context;
    const now = majorityExpiry(
      read.map((node) => node.nowMs),
      quorum,
    );
    const instances = majorityInstances(
      read.map((node) => node.records),
      quorum,
    )
      .filter((record) => record.expiresAt > now)
      .sort(byId);
    return { instances, now };
  }

  /** One node's live leases under `prefix`, read by its clock. */
  async #listNode(node: QuorumNode, prefix: string): Promise<NodeListing> {
    const server = this.commands[this.context.nodes.indexOf(node)]!;
    const { bound } = this.#scan;
    const leases: ListedLease[] = [];
    let nowMs: number | undefined;
    for await (const page of scanLockKeys(server, prefix, this.#scan)) {
      const runs = chunks(page, MAX_BATCH).map((run) => bound(node.run(DIRECTORY_LIST, run)));
      for (const batch of await Promise.all(runs)) {
        nowMs = Math.max(nowMs ?? 0, batch.nowMs);
        leases.push(...batch.leases);
      }
    }
    return { nowMs: nowMs ?? (await serverTimeMs(server, this.#scan)), leases };
  }

  /** The answers, when a majority of the nodes gave one; otherwise the `RedlockQuorumError`. */
  #majority<R>(operation: string, answers: readonly NodeAnswer<R>[]): R[] {
    const values = answers.flatMap((answer) => (answer.ok ? [answer.value] : []));
    const { nodes, quorum } = this.context;
    if (values.length >= quorum) return values;
    const reports = answers.map((answer, i) =>
      nodeReport(nodes[i]!, answer.ok ? 'granted' : answer.failure),
    );
    throw new RedlockQuorumError(operation, undefined, reports, quorum);
  }
}
