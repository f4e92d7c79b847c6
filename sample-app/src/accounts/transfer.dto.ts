import { BadRequestException } from '@nestjs/common';

/** The body of `POST /accounts/transfers`. */
export interface TransferDto {
  readonly from: string;
  readonly to: string;
  /** In cents. */
  readonly amount: number;
}

/** Checks a request body by hand (the sample keeps class-validator out of its dependencies). */
export function parseTransfer(body: unknown): TransferDto {
  const { from, to, amount } = (body ?? {}) as Record<string, unknown>;
  if (typeof from !== 'string' || from.length === 0) {
    throw new BadRequestException('from must be a non-empty string');
  }
  if (typeof to !== 'string' || to.length === 0 || to === from) {
    throw new BadRequestException('to must be a non-empty string, another account than from');
  }
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1) {
    throw new BadRequestException('amount must be a whole number of cents, 1 or more');
  }
  return { from, to, amount };
}
