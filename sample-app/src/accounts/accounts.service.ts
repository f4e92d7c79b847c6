import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { currentLock, Locked } from 'nestjs-locker';
import { AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';
import { inTransaction, type Queryable } from '../database/transaction.js';
import {
  InsufficientFundsError,
  StaleAccountWriteError,
  UnknownAccountError,
} from './account.errors.js';

/** A transfer as `POST /accounts/transfers` answers it. */
export interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  /** Both balances just after the transfer. */
  readonly balances: Readonly<Record<string, number>>;
  readonly instance: string;
}

/**
 * Balances, and transfers between them. A transfer holds the lock of the account it takes from
 * and, nested inside, the lock of the account it pays into: two transfers in opposite directions
 * at once (A → B on one instance, B → A on another) each hold one account and wait for the other.
 * nestjs-locker sees the cycle and fails the one that closed it with `LockDeadlockError` (HTTP 409,
 * `Retry-After: 1`); its transaction rolls back, its locks are released, the other transfer goes
 * through, and a retry from the top (the client's) goes through after it.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  /**
   * Moves `amount` from `from` to `to`, all or nothing.
   *
   * @throws LockDeadlockError when it gave way to break a cycle of waits: retry it from the top.
   * @throws {@link InsufficientFundsError}, {@link UnknownAccountError}
   */
  @Locked('account:{0}', { wait: '5s' })
  async transfer(from: string, to: string, amount: number): Promise<Transfer> {
    const balance = await this.balanceOf(this.db, from);
    if (balance < amount) throw new InsufficientFundsError(from, amount, balance);
    // Stands for the fraud check: the slow part, during which `from` stays locked.
    await sleep(this.config.slowCallMs);
    const fence = currentLock()!.fencingToken;
    return inTransaction(this.db, async (tx) => {
      await this.write(tx, from, -amount, fence);
      // Nested: takes `to`'s lock while `from`'s is held. Should it fail (a deadlock, a busy
      // account), the debit above rolls back with the transaction.
      const credited = await this.credit(to, amount, tx);
      return {
        from,
        to,
        amount,
        balances: { [from]: balance - amount, [to]: credited },
        instance: this.config.instance,
      };
    });
  }

  /** Pays `amount` into `account` under its lock, in `tx`; returns the new balance. */
  @Locked('account:{0}', { wait: '5s' })
  async credit(account: string, amount: number, tx: Queryable): Promise<number> {
    const balance = await this.balanceOf(tx, account);
    await this.write(tx, account, amount, currentLock()!.fencingToken);
    return balance + amount;
  }

  /** Balance per account. */
  async balances(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ id: string; balance: number }>(
      'SELECT id, balance FROM accounts ORDER BY id',
    );
    return Object.fromEntries(rows.map((row) => [row.id, row.balance]));
  }

  private async balanceOf(db: Queryable, account: string): Promise<number> {
    const { rows } = await db.query<{ balance: number }>(
      'SELECT balance FROM accounts WHERE id = $1',
      [account],
    );
    const balance = rows[0]?.balance;
    if (balance === undefined) throw new UnknownAccountError(account);
    return balance;
  }

  /** Adds `delta` to the balance, fenced by the account's lock (see InventoryService). */
  private async write(tx: Queryable, account: string, delta: number, fence: bigint): Promise<void> {
    const written = await tx.query(
      'UPDATE accounts SET balance = balance + $2, fence = $3 WHERE id = $1 AND fence < $3',
      [account, delta, fence.toString()],
    );
    if (written.rowCount !== 1) throw new StaleAccountWriteError(account);
  }
}
