import { setTimeout as sleep } from 'node:timers/promises';
import type { AppInstance } from './app-instance.js';
import {
  type Check,
  checkBalances,
  checkDeadlockGaveWay,
  checkRetriedTransfers,
} from './demo-checks.js';
import { sendTransfer, type TransferAnswer, type TransferRequest } from './shop-client.js';
import type { ShopDatabase } from './shop-database.js';

/** What the deadlock step saw. */
export interface TransferDeadlock {
  readonly checks: Check[];
  readonly figures: {
    /** The first answers: `alice→bob on app-1: 201`. */
    readonly first: string[];
    /** How the transfer that gave way ended after its retries. */
    readonly retried: string[];
    readonly balances: Record<string, number>;
  };
}

/** Tries a transfer that gave way this many times more, each after its `Retry-After`. */
const RETRIES = 3;

/**
 * Sends Alice → Bob to one instance and Bob → Alice to another at the same moment: each locks the
 * account it pays from, then waits for the other's, a deadlock. One must give way with 409
 * `LOCK_DEADLOCK`; it is then sent again, as a client would, after its `Retry-After`.
 */
export async function opposingTransfers(
  db: ShopDatabase,
  [one, two]: readonly AppInstance[],
  abort: AbortSignal | undefined,
): Promise<TransferDeadlock> {
  if (!one || !two) throw new Error('the deadlock step needs two instances');
  const before = await db.balances();
  const sends: [AppInstance, TransferRequest][] = [
    [one, { from: 'alice', to: 'bob', amount: 700 }],
    [two, { from: 'bob', to: 'alice', amount: 300 }],
  ];
  const first = await Promise.all(
    sends.map(([instance, transfer]) => sendTransfer(instance.url, instance.name, transfer)),
  );
  const retried: TransferAnswer[] = [];
  for (const [i, answer] of first.entries()) {
    if (answer.status !== 409) continue;
    const [instance, transfer] = sends[i]!;
    let last = answer;
    for (let attempt = 0; attempt < RETRIES && last.status === 409; attempt++) {
      await sleep(Number(last.retryAfter ?? 1) * 1000, undefined, { signal: abort });
      last = await sendTransfer(instance.url, instance.name, transfer);
    }
    retried.push(last);
  }
  const after = await db.balances();
  const describe = (a: TransferAnswer): string =>
    `${a.from}→${a.to} on ${a.askedInstance}: ${a.status}${a.errorCode ? ` ${a.errorCode}` : ''}`;
  return {
    checks: [
      checkDeadlockGaveWay(first),
      checkRetriedTransfers(first.filter((a) => a.status === 409).length, retried),
      checkBalances(before, after, [...first, ...retried]),
    ],
    figures: { first: first.map(describe), retried: retried.map(describe), balances: after },
  };
}
