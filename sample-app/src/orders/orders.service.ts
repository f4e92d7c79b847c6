import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';
import { InventoryService, type Reservation } from '../inventory/inventory.service.js';
import { OutOfStockError, UnknownProductError } from '../inventory/out-of-stock.error.js';
import type { PlaceOrderDto } from './place-order.dto.js';

/** An order as `POST /orders/:id` answers it. */
export interface PlacedOrder extends Reservation {
  readonly id: string;
  readonly instance: string;
}

/** Places orders: once each, taking stock first. The caller holds the order's lock. */
@Injectable()
export class OrdersService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly inventory: InventoryService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Places order `id`, unless it was placed before.
   *
   * @throws ConflictException (409) when order `id` was already placed.
   * @throws UnprocessableEntityException (422) when the stock is short.
   */
  async place(id: string, order: PlaceOrderDto): Promise<PlacedOrder> {
    const existing = await this.db.query('SELECT 1 FROM orders WHERE id = $1', [id]);
    if (existing.rowCount) throw new ConflictException(`order ${id} was already placed`);

    let reservation: Reservation;
    try {
      reservation = await this.inventory.reserve(order.sku, order.qty);
    } catch (error) {
      if (error instanceof OutOfStockError) throw new UnprocessableEntityException(error.message);
      if (error instanceof UnknownProductError) throw new NotFoundException(error.message);
      throw error;
    }
    // Stands for the payment gateway: the slow part, during which the same order arriving again
    // finds its lock taken.
    await sleep(this.config.slowCallMs);
    await this.db.query('INSERT INTO orders (id, sku, qty, instance) VALUES ($1, $2, $3, $4)', [
      id,
      order.sku,
      order.qty,
      this.config.instance,
    ]);
    return { id, ...reservation, instance: this.config.instance };
  }
}
