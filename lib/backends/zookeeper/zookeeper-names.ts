/**
 * How keys and owners become znode names, reversibly: every character outside `[A-Za-z0-9_-]` is
 * written as the `%XX` of its UTF-8 bytes, so a name never holds `/`, `.` (the separator of the
 * sequence suffix) or a character ZooKeeper refuses, and `"."`/`".."` cannot occur.
 *
 * A key's parent is `<root>/<encoded key>`; a holder's or waiter's node under it is
 * `<encoded owner>.<10-digit sequence>`, the sequence appended by ZooKeeper.
 */

const UNSAFE = /[^A-Za-z0-9_-]/g;

/** `text` as a znode name. */
export function encodeName(text: string): string {
  return encodeURIComponent(text).replace(UNSAFE, (char) =>
    char === '%' ? '%' : `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** The text a name of {@link encodeName} was made from. */
export function decodeName(name: string): string {
  return decodeURIComponent(name);
}

/** A key's parent znode. */
export function parentPath(rootPath: string, key: string): string {
  return `${rootPath}/${encodeName(key)}`;
}

/** The key a parent znode name stands for. */
export function keyOfParent(name: string): string {
  return decodeName(name);
}

/** The path prefix to create an owner's sequential node with. */
export function ownNodePrefix(parent: string, owner: string): string {
  return `${parent}/${encodeName(owner)}.`;
}

/** A holder's or waiter's node, as its name tells. */
export interface QueueEntry {
  /** The node's name under the parent. */
  readonly name: string;
  readonly owner: string;
  /** ZooKeeper's sequence suffix: the queue order. */
  readonly sequence: number;
}

const ENTRY = /^([A-Za-z0-9_%-]*)\.(\d{10})$/;

/** The entry a child name stands for; `undefined` for a name the backend did not make. */
export function parseEntry(name: string): QueueEntry | undefined {
  const match = ENTRY.exec(name);
  if (!match) return undefined;
  try {
    return { name, owner: decodeName(match[1]!), sequence: Number(match[2]) };
  } catch {
    return undefined;
  }
}

/** The entries of a parent's children, in queue order; foreign names are left out. */
export function queueOrder(children: readonly string[]): QueueEntry[] {
  const entries: QueueEntry[] = [];
  for (const child of children) {
    const entry = parseEntry(child);
    if (entry) entries.push(entry);
  }
  return entries.sort((a, b) => a.sequence - b.sequence);
}
