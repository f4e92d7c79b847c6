import { Body, Controller, Param, Post } from '@nestjs/common';
import { Locked } from 'nestjs-locker';
import { OrdersService, type PlacedOrder } from './orders.service.js';
import { parsePlaceOrder } from './place-order.dto.js';

/** `POST /orders/:id` with `{ sku, qty }`. */
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * 201 with the order; 409 while the same order is being processed (with `Retry-After`) or once
   * it was placed; 422 when the stock is short; 404 for an unknown product.
   */
  @Post(':id')
  @Locked('order:{0}') // no wait: a second copy of the order in flight is answered 409 at once
  place(@Param('id') id: string, @Body() body: unknown): Promise<PlacedOrder> {
    return this.orders.place(id, parsePlaceOrder(body));
  }
}
