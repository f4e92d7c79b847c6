/** The accounts the sample bank keeps, created at boot. */
export const ACCOUNTS: readonly string[] = ['alice', 'bob', 'carol'];

/** What an account holds when its row is created, in cents. */
export const OPENING_BALANCE = 100_000;
