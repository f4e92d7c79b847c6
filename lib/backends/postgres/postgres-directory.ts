import type {
  InstanceListing,
  InstanceRecord,
  LeaseListing,
  ListedLease,
  LockDirectory,
} from '../../contract/lock-directory.js';
import { byId, leaseListing } from '../shared/lease-listing.js';
import type { PostgresContext } from './postgres-context.js';
import { type DirectorySql, directorySql, type ListedRow } from './postgres-directory.sql.js';
import { malformedReply } from './postgres-statement.js';

const isKind = (kind: string): kind is ListedLease['kind'] =>
  kind === 'mutex' || kind === 'permit' || kind === 'read';

/**
 * The directory on Postgres: a listing is one statement over the lease table (mutex, fair,
 * multi-key and write holds), the permits and the read holds, expiry judged by one
 * `clock_timestamp()`. Where the keys sort in code point order (C, POSIX, C.UTF-8: checked once),
 * a prefix is a range of each table's key index, so a listing reads only the rows under it, and
 * at most `limit + 1` of them; elsewhere it compares every key. Instance records are rows of
 * `<table>_instances`, apart from every lease table.
 *
 * @example
 * ```ts
 * await backend.directory.announce('locker:', instanceId, '{"host":"a"}', 30_000);
 * const { leases, truncated, now } = await backend.directory.list('locker:', 500);
 * ```
 */
export class PostgresDirectory implements LockDirectory {
  readonly #sql: DirectorySql;
  #codePointKeys: Promise<boolean> | undefined;

  constructor(private readonly context: PostgresContext) {
    this.#sql = directorySql(context.names);
  }

  list(prefix: string, limit: number): Promise<LeaseListing> {
    return this.context.attempt('list the leases under', prefix, async () => {
      const cap = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) + 1 : null;
      const upper = prefixUpperBound(prefix);
      const rows =
        upper !== undefined && (await this.#keysInCodePointOrder())
          ? await this.context.run(this.#sql.listRange, [prefix, upper, cap])
          : await this.context.run(this.#sql.listScan, [prefix, cap]);
      const found = rows.flatMap(listedLease);
      return leaseListing(found, limit, nowOf(rows, this.#sql.listScan.name));
    });
  }

  announce(prefix: string, id: string, payload: string, ttlMs: number): Promise<void> {
    return this.context.attempt('announce the instance record under', prefix, async () => {
      await this.context.run(this.#sql.announce, [prefix, id, payload, ttlMs]);
    });
  }

  withdraw(prefix: string, id: string): Promise<void> {
    return this.context.attempt('withdraw the instance record under', prefix, async () => {
      await this.context.run(this.#sql.withdraw, [prefix, id]);
    });
  }

  instances(prefix: string): Promise<InstanceListing> {
    return this.context.attempt('read the instance records under', prefix, async () => {
      const rows = await this.context.run(this.#sql.instances, [prefix]);
      const instances: InstanceRecord[] = [];
      for (const { id, payload, ms } of rows) {
        if (id !== null && payload !== null && ms !== null) {
          instances.push({ id, payload, expiresAt: ms });
        }
      }
      return { instances: instances.sort(byId), now: nowOf(rows, this.#sql.instances.name) };
    });
  }

  /** Whether the key columns sort in code point order: asked once (again after a failure). */
  #keysInCodePointOrder(): Promise<boolean> {
    if (!this.#codePointKeys) {
      const { table, permits, readers } = this.context.names;
      this.#codePointKeys = this.context
        .run(this.#sql.keyOrder, [table, permits, readers])
        .then(([row]) => row?.code_point === true);
      this.#codePointKeys.catch(() => {
        this.#codePointKeys = undefined;
      });
    }
    return this.#codePointKeys;
  }
}

/**
 * The least string above every string that starts with `prefix`, in code point order: its last
 * code point below U+10FFFF moved up by one (past the surrogates), what follows it dropped.
 * `undefined` when there is none (an empty prefix, only U+10FFFF) or the prefix is not well-formed
 * UTF-16 (a lone surrogate, which the driver would not send as it is).
 *
 * @example
 * ```ts
 * prefixUpperBound('locker:'); // 'locker;'
 * ```
 */
export function prefixUpperBound(prefix: string): string | undefined {
  if (/\p{Surrogate}/u.test(prefix)) return undefined;
  const chars = [...prefix];
  while (chars.length > 0) {
    // Safe: the array is not empty, and each element is one code point.
    const last = chars.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      return chars.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
    }
  }
  return undefined;
}

function listedLease(row: ListedRow): ListedLease[] {
  const { key, owner, token, ms, kind } = row;
  if (key === null || owner === null || token === null || ms === null || kind === null) return [];
  if (!isKind(kind)) throw malformedReply('directoryList', `the lease kind "${kind}"`);
  return [{ key, owner, fencingToken: BigInt(token), expiresAt: ms, kind }];
}

/** The store's clock of a statement that answers it on every row, and always one row at least. */
function nowOf(rows: readonly { readonly now: number }[], statementName: string): number {
  const [first] = rows;
  if (!first) throw malformedReply(statementName, 'no row');
  return first.now;
}
