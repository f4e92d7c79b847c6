/** A transfer of more than the account holds. */
export class InsufficientFundsError extends Error {
  constructor(
    readonly account: string,
    readonly wanted: number,
    readonly balance: number,
  ) {
    super(`account ${account} holds ${balance}, ${wanted} wanted`);
    this.name = 'InsufficientFundsError';
  }
}

/** A transfer from or to an account the bank does not keep. */
export class UnknownAccountError extends Error {
  constructor(readonly account: string) {
    super(`no account "${account}"`);
    this.name = 'UnknownAccountError';
  }
}

/**
 * A write refused by its fence: a newer holder of the account's lock wrote it since this one took
 * the lock (this holder had paused past its lease). Nothing of the transfer is kept.
 */
export class StaleAccountWriteError extends Error {
  constructor(readonly account: string) {
    super(`account ${account} was written by a newer lock holder; transfer rolled back`);
    this.name = 'StaleAccountWriteError';
  }
}
