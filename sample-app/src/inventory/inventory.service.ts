import { Inject, Injectable } from '@nestjs/common';
import { currentLock, Locked } from 'nestjs-locker';
import { Database } from '../database/database.js';
import { OutOfStockError, UnknownProductError } from './out-of-stock.error.js';

/** What a reservation took, and what it left. */
export interface Reservation {
  readonly sku: string;
  readonly qty: number;
  readonly stockLeft: number;
  /** The fencing token of the write, as a string (JSON has no bigint). */
  readonly fencingToken: string;
}

/**
 * Stock per product. Reading the stock, deciding, and writing it back is the kind of
 * read-modify-write that is wrong when two instances interleave (both read 1, both sell it): here
 * it runs under a lock per product, so orders for one product take turns across every instance,
 * and orders for different products run in parallel.
 */
@Injectable()
export class InventoryService {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Takes `qty` of `sku` out of stock.
   *
   * @throws {@link OutOfStockError} when fewer than `qty` are left (nothing is taken).
   * @throws {@link UnknownProductError} for a product the shop does not sell.
   */
  @Locked('stock:{0}', { wait: '10s', ttl: '10s' })
  async reserve(sku: string, qty: number): Promise<Reservation> {
    const lock = currentLock()!;
    const { rows } = await this.db.query<{ stock: number }>(
      'SELECT stock FROM products WHERE sku = $1',
      [sku],
    );
    const stock = rows[0]?.stock;
    if (stock === undefined) throw new UnknownProductError(sku);
    if (stock < qty) throw new OutOfStockError(sku, qty, stock);

    // A fenced write: had this instance paused (GC, a stalled VM) until its lease ran out and
    // another instance taken the lock and written, that write carries a larger token, and this
    // late one matches no row instead of overwriting it.
    const fence = lock.fencingToken.toString();
    const written = await this.db.query(
      'UPDATE products SET stock = $2, fence = $3 WHERE sku = $1 AND fence < $3',
      [sku, stock - qty, fence],
    );
    if (written.rowCount !== 1) {
      throw new Error(`stock of ${sku} was written by a newer lock holder; not reserved`);
    }
    return { sku, qty, stockLeft: stock - qty, fencingToken: fence };
  }

  /** Stock per SKU. */
  async stock(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ sku: string; stock: number }>(
      'SELECT sku, stock FROM products ORDER BY sku',
    );
    return Object.fromEntries(rows.map((row) => [row.sku, row.stock]));
  }
}
