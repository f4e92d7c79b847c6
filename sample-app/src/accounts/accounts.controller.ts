import {
  Body,
  Controller,
  Get,
  NotFoundException,
  Post,
  UnprocessableEntityException,
} from '@nestjs/common';
import { InsufficientFundsError, UnknownAccountError } from './account.errors.js';
import { AccountsService, type Transfer } from './accounts.service.js';
import { parseTransfer } from './transfer.dto.js';

/** `GET /accounts` (balances), `POST /accounts/transfers` with `{ from, to, amount }`. */
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  balances(): Promise<Record<string, number>> {
    return this.accounts.balances();
  }

  /**
   * 201 with the transfer; 409 `LOCK_DEADLOCK` with `Retry-After: 1` when it gave way to a
   * transfer the other way (nothing was moved: send it again), 409 `LOCK_NOT_ACQUIRED` when an
   * account stayed busy for 5 s; 422 when the balance is short; 404 for an unknown account.
   */
  @Post('transfers')
  async transfer(@Body() body: unknown): Promise<Transfer> {
    const { from, to, amount } = parseTransfer(body);
    try {
      return await this.accounts.transfer(from, to, amount);
    } catch (error) {
      if (error instanceof InsufficientFundsError) {
        throw new UnprocessableEntityException(error.message);
      }
      if (error instanceof UnknownAccountError) throw new NotFoundException(error.message);
      throw error;
    }
  }
}
