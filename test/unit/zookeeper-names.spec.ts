import { describe, expect, it } from '@jest/globals';
import {
  decodeName,
  encodeName,
  parseEntry,
  queueOrder,
} from '../../lib/backends/zookeeper/zookeeper-names.js';
import {
  deadlineOf,
  nodeData,
  readNodeData,
  readStat,
} from '../../lib/backends/zookeeper/zookeeper-node-data.js';

describe('ZooKeeper znode names', () => {
  it.each([
    'orders:42',
    'a/b/c',
    '.',
    '..',
    'a.b',
    'line\nbreak',
    'ключ-🔒',
    "'); DROP TABLE locks; --",
    '%41',
    '',
  ])('encodes %j into a safe name and back', (text) => {
    const name = encodeName(text);
    expect(name).toMatch(/^[A-Za-z0-9_%-]*$/);
    expect(decodeName(name)).toBe(text);
  });

  it('reads an owner and sequence from a child name, and leaves foreign names out', () => {
    expect(parseEntry(`${encodeName('owner:1')}.0000000042`)).toEqual({
      name: 'owner%3A1.0000000042',
      owner: 'owner:1',
      sequence: 42,
    });
    expect(parseEntry('lock-0000000001')).toBeUndefined();
    expect(parseEntry('owner.42')).toBeUndefined();
    expect(parseEntry('%ZZ.0000000001')).toBeUndefined();
  });

  it('orders a queue by sequence, whatever the owners', () => {
    const order = queueOrder(['b.0000000010', 'a.0000000002', 'foreign', 'z.0000000001']);
    expect(order.map((entry) => entry.owner)).toEqual(['z', 'a', 'b']);
  });
});

describe('ZooKeeper node data', () => {
  it('round-trips a lease, a ticket and a permit', () => {
    for (const data of [
      { ttlMs: 30_000, waiting: false, permits: undefined },
      { ttlMs: 3_000, waiting: true, permits: undefined },
      { ttlMs: 5_000, waiting: false, permits: 4 },
    ]) {
      expect(readNodeData(nodeData(data))).toEqual(data);
    }
  });

  it('refuses data the backend did not write', () => {
    for (const text of ['', 'not json', '[]', '{"t":"30"}', '{"t":1,"p":"2"}', 'null']) {
      expect(readNodeData(Buffer.from(text))).toBeUndefined();
    }
    expect(readNodeData(undefined)).toBeUndefined();
  });

  it('takes the fencing token from czxid and the deadline from mtime + ttl', () => {
    const long = (value: bigint): Buffer => {
      const buffer = Buffer.alloc(8);
      buffer.writeBigInt64BE(value);
      return buffer;
    };
    const stat = readStat({
      czxid: long(0x1_0000_0005n),
      ctime: long(1_700_000_000_000n),
      mtime: long(1_700_000_001_000n),
      version: 3,
    });
    expect(stat).toEqual({
      czxid: 0x1_0000_0005n,
      ctime: 1_700_000_000_000,
      mtime: 1_700_000_001_000,
      version: 3,
    });
    expect(deadlineOf({ ...stat, ttlMs: 500, waiting: false, permits: undefined })).toBe(
      1_700_000_001_500,
    );
  });
});
