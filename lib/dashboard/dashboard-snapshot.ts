/**
 * What the lock dashboard shows, as its JSON API answers it (`GET <path>/api/snapshot`, and each
 * server-sent `snapshot` event): one consistent picture of every instance of the app, built from
 * the store's listing of leases and the records the instances write. Times are Unix epoch ms;
 * durations ms. Keys are shown without the module's key prefix. Fencing tokens are decimal strings
 * (JSON has no 64-bit integers). Owner tokens never leave the server.
 */
export interface DashboardSnapshot {
  /** The store's clock when the listing was read: lease times are measured against it. */
  readonly now: number;
  /** The key prefix the dashboard lists (the module's `keyPrefix`). */
  readonly prefix: string;
  /** The backend's name (`redis`, `postgres`, ...). */
  readonly backend: string;
  /** `false` when the backend cannot list its keys (no `directory` capability): only this instance's own view is shown. */
  readonly canList: boolean;
  /** `true` when there were more leases than the dashboard's `limit`; `locks` then shows the first ones. */
  readonly truncated: boolean;
  /** The id of the instance that served this snapshot. */
  readonly servedBy: string;
  /** Whether force-release is enabled (an admin guard was configured). */
  readonly canForceRelease: boolean;
  readonly instances: readonly DashboardInstance[];
  readonly locks: readonly DashboardLock[];
  readonly leaders: readonly DashboardLeader[];
  readonly crons: readonly DashboardCronJob[];
  readonly events: readonly DashboardEvent[];
}

/** A running instance, from the record it keeps in the store. */
export interface DashboardInstance {
  readonly id: string;
  /** The app's name (`LockModule` `instance.appName`, default the package name or `app`). */
  readonly app: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: number;
  /** How long its record has left before it counts as gone, ms. */
  readonly recordLeftMs: number;
}

/** Who holds a lease. */
export interface DashboardHolder {
  /** The instance the owner token names; `null` for a token that names none (taken by another client of the store). */
  readonly instanceId: string | null;
  /** Whether that instance's record is live: `false` for a holder that died (its lease runs out) or stopped announcing itself. */
  readonly alive: boolean;
  /** The instance's app, host and pid when its record is live. */
  readonly app?: string;
  readonly host?: string;
  readonly pid?: number;
  readonly fencingToken: string;
  /** How long it has been held, ms, when its instance reported when it took it. */
  readonly heldMs?: number;
  /** How long until its lease runs out unless renewed, ms. */
  readonly leaseLeftMs: number;
}

/** One waiter, as its instance reports it. */
export interface DashboardWaiter {
  readonly instanceId: string;
  readonly since: number;
  readonly waitedMs: number;
  /** A fair (queued) waiter: waiters of a fair key are listed in arrival order. */
  readonly fair: boolean;
  /** For a read-write lock: which mode it waits for. */
  readonly mode?: 'read' | 'write';
}

/** One key under the prefix, held or waited for. */
export interface DashboardLock {
  readonly key: string;
  /** `mutex` (fair, multi-key and write holds included), `semaphore` (permits), `read` (read holds). */
  readonly kind: 'mutex' | 'semaphore' | 'read';
  /** The holders: one for a mutex, each permit or read hold otherwise. Empty when only waited for. */
  readonly holders: readonly DashboardHolder[];
  /** For a semaphore: the permits its waiters or holders asked for, when one reported it. */
  readonly permits?: number;
  /** Waiters in arrival order. */
  readonly waiters: readonly DashboardWaiter[];
  /** Set when this key is an election's (`@LeaderElection`) or a cron job's run lock. */
  readonly role?: 'leader' | 'cron-run' | 'cron-claim';
}

/** The current leader of one election. */
export interface DashboardLeader {
  readonly election: string;
  readonly instanceId: string;
  /** When its term started, as its instance reported it (absent until its record says). */
  readonly since?: number;
  /** The term's fencing token (a decimal string): a new term, a larger one. */
  readonly fencingToken: string;
}

/** One `@SingletonCron` job and its recent ticks, newest first. */
export interface DashboardCronJob {
  readonly name: string;
  readonly ticks: readonly DashboardCronTick[];
}

/** One scheduled tick of a job, as the instances reported it. */
export interface DashboardCronTick {
  /** The tick's scheduled time. */
  readonly at: number;
  /** The instance that claimed and ran it; `null` when none reported running it. */
  readonly ranBy: string | null;
  /** `running`, `succeeded`, `failed`, or `skipped` (claimed by none, or the previous run still held the job). */
  readonly outcome: 'running' | 'succeeded' | 'failed' | 'skipped';
  readonly durationMs?: number;
  /** The failure's message when `failed`. */
  readonly error?: string;
  /**
   * For a tick `skipped` because the job's previous run still held it: the instance that claimed
   * the tick and found the run in progress.
   */
  readonly claimedBy?: string;
  /** The instances that fired the tick and found it claimed by another. */
  readonly skippedBy: readonly string[];
}

/** Something that went wrong, or an admin action, newest first. */
export interface DashboardEvent {
  readonly at: number;
  readonly instanceId: string;
  readonly type: 'lost' | 'renewalFailed' | 'releaseFailed' | 'forceReleased';
  readonly key?: string;
  readonly message: string;
}

/** What a force-release did. */
export interface ForceReleaseOutcome {
  readonly key: string;
  /** How many holds were released (a semaphore's permits count one each). */
  readonly released: number;
  /** The fencing tokens of the holds released, as decimal strings. */
  readonly fencingTokens: readonly string[];
}
