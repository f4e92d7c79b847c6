import type { ZkStatLike } from './zookeeper-client.js';

/**
 * What a holder's or waiter's znode holds (JSON in its data) and what its stat tells. The lease
 * clock is the store's: a node's deadline is its `mtime` (stamped by the ZooKeeper leader on every
 * write of the node) plus the ttl in its data. A waiter's ttl is its ticket's.
 */
export interface NodeData {
  /** The lease's (or, for a waiter, the ticket's) time to live in ms, from `mtime`. */
  readonly ttlMs: number;
  /** A fair waiter's ticket, not (yet) a lease. */
  readonly waiting: boolean;
  /** A semaphore's permits when the node is a permit. */
  readonly permits: number | undefined;
}

/** A node's stat as numbers: fencing token, times in Unix epoch ms of the store, version. */
export interface NodeStat {
  /** The zxid of the node's creation: the fencing token of the lease it carries. */
  readonly czxid: bigint;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
}

/** A node read: its data and stat. */
export interface NodeState extends NodeData, NodeStat {
  readonly path: string;
  readonly owner: string;
}

/** The node data of a lease, a waiter's ticket or a permit. */
export function nodeData(data: NodeData): Buffer {
  const json: { t: number; w?: 1; p?: number } = { t: data.ttlMs };
  if (data.waiting) json.w = 1;
  if (data.permits !== undefined) json.p = data.permits;
  return Buffer.from(JSON.stringify(json));
}

/** Node data read back; `undefined` when it is not of the backend's shape. */
export function readNodeData(buffer: Buffer | undefined): NodeData | undefined {
  if (!buffer) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object') return undefined;
  const { t, w, p } = json as { t?: unknown; w?: unknown; p?: unknown };
  if (typeof t !== 'number' || !Number.isFinite(t)) return undefined;
  if (p !== undefined && typeof p !== 'number') return undefined;
  return { ttlMs: t, waiting: w === 1, permits: p };
}

/** A stat as numbers. */
export function readStat(stat: ZkStatLike): NodeStat {
  return {
    czxid: stat.czxid.readBigInt64BE(0),
    ctime: Number(stat.ctime.readBigInt64BE(0)),
    mtime: Number(stat.mtime.readBigInt64BE(0)),
    version: stat.version,
  };
}

/** When the node's lease (or ticket) runs out, in Unix epoch ms of the store's clock. */
export function deadlineOf(node: NodeData & NodeStat): number {
  return node.mtime + node.ttlMs;
}
