import { BadRequestException } from '@nestjs/common';

/** The body of `POST /orders/:id`. */
export interface PlaceOrderDto {
  readonly sku: string;
  readonly qty: number;
}

/** Checks a request body by hand (the sample keeps class-validator out of its dependencies). */
export function parsePlaceOrder(body: unknown): PlaceOrderDto {
  const { sku, qty } = (body ?? {}) as Record<string, unknown>;
  if (typeof sku !== 'string' || sku.length === 0) {
    throw new BadRequestException('sku must be a non-empty string');
  }
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) {
    throw new BadRequestException('qty must be a whole number, 1 or more');
  }
  return { sku, qty };
}
