import { decodeName, encodeName } from './zookeeper-names.js';

/**
 * Where the ZooKeeper backend's directory keeps its nodes, under the root path:
 *
 * - `<root>/.directory`: written (empty) by each listing for its `mtime`, the store's clock.
 * - `<root>/.directory/_<encoded prefix>/<encoded id>`: an instance record, an ephemeral node
 *   whose data is {@link recordData}.
 *
 * A key's parent is `<root>/<encoded key>`, and an encoded name never holds a `.`
 * (zookeeper-names.ts): `.directory` can never be a key's parent, and a listing of the root's
 * children skips it as it skips every name that is not an encoded key.
 */

/** The directory's node: its clock, and the parent of the instance records. */
export function directoryPath(rootPath: string): string {
  return `${rootPath}/.directory`;
}

/** The parent of the instance records of `prefix` (`_` first: an empty prefix is a name too). */
export function recordsPath(rootPath: string, prefix: string): string {
  return `${directoryPath(rootPath)}/_${encodeName(prefix)}`;
}

/**
 * The text a node name of the backend's encoding stands for (a key, for a child of the root; an
 * instance id, for a record); `undefined` for any other name, such as `.directory`.
 */
export function textOfName(name: string): string | undefined {
  try {
    const text = decodeName(name);
    return encodeName(text) === name ? text : undefined;
  } catch {
    return undefined;
  }
}

/** An instance record as its node holds it: the payload, and the ttl from the node's `mtime`. */
export interface RecordData {
  readonly ttlMs: number;
  readonly payload: string;
}

/** The data of an instance record's node. */
export function recordData(record: RecordData): Buffer {
  return Buffer.from(JSON.stringify({ t: record.ttlMs, d: record.payload }));
}

/** An instance record's node data read back; `undefined` when it is not of that shape. */
export function readRecordData(buffer: Buffer | undefined): RecordData | undefined {
  if (!buffer) return undefined;
  try {
    const { t, d } = JSON.parse(buffer.toString('utf8')) as { t?: unknown; d?: unknown };
    if (typeof t !== 'number' || !Number.isFinite(t) || typeof d !== 'string') return undefined;
    return { ttlMs: t, payload: d };
  } catch {
    return undefined;
  }
}
