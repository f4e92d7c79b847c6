/** The 16384 hash slots of Redis Cluster. */
const SLOTS = 16_384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff;
  return crc;
}

/**
 * The cluster hash slot of a key, as Redis computes it: the CRC16 of the key's hash tag (the bytes
 * between the first `{` and the next `}`, when not empty) or of the whole key, modulo 16384.
 */
export function hashSlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS;
  }
  return crc16(bytes) % SLOTS;
}

/**
 * The master serving `slot` (`"host:port"`), from a cluster client's map of slots as it last read
 * it; the slot itself while the map is not known yet. Only groups calls: a stale answer costs a
 * less even grouping, never a wrong one (the server redirects).
 */
export function slotMaster(
  slots: readonly (readonly string[] | undefined)[] | undefined,
  slot: number,
): string | number {
  return slots?.[slot]?.[0] ?? slot;
}

/**
 * Runs `run` once per group of items whose keys share a hash slot, in parallel, and returns the
 * results in the order of `items`: a Lua script may only touch keys of one slot in a cluster.
 *
 * Each group settles on its own: the items of a group whose run rejects get `failed(error, group)`
 * as their result (called once per failed group), and the other groups keep their answers, so one
 * unreachable master costs only the items on its slots. When all items share one slot there is a
 * single run, and its rejection is the rejection of the whole call.
 *
 * @example
 * ```ts
 * const results = await bySlot(leases, (lease) => lockKeyOf(lease.key), extendBatch,
 *   (error) => new LockBackendError('redis', 'extend', undefined, error));
 * ```
 */
export async function bySlot<I, R>(
  items: readonly I[],
  keyOf: (item: I) => string,
  run: (group: I[]) => Promise<R[]>,
  failed: (error: unknown, group: readonly I[]) => R,
): Promise<R[]> {
  const groups = new Map<number, number[]>();
  items.forEach((item, index) => {
    const slot = hashSlot(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  if (groups.size === 1) return run([...items]);
  const results: R[] = new Array(items.length);
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const group = indexes.map((index) => items[index]!);
      let groupResults: R[];
      try {
        groupResults = await run(group);
      } catch (error) {
        const result = failed(error, group);
        for (const index of indexes) results[index] = result;
        return;
      }
      indexes.forEach((index, j) => {
        results[index] = groupResults[j]!;
      });
    }),
  );
  return results;
}
