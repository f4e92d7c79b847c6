import type { InstanceRecord, ListedLease } from '../contract/lock-directory.js';
import { type InstanceRecordPayload, parseInstancePayload } from '../manager/instance-record.js';
import { ownerInstance } from '../manager/owner-token.js';
import type {
  DashboardCronJob,
  DashboardCronTick,
  DashboardEvent,
  DashboardHolder,
  DashboardInstance,
  DashboardLeader,
  DashboardLock,
  DashboardSnapshot,
  DashboardWaiter,
} from './dashboard-snapshot.js';

/** What a snapshot is made of: the store's listing and records, read at once. */
export interface SnapshotSources {
  readonly prefix: string;
  readonly backend: string;
  readonly canList: boolean;
  readonly servedBy: string;
  readonly canForceRelease: boolean;
  readonly leases: readonly ListedLease[];
  readonly truncated: boolean;
  /** The store's clock when it listed. */
  readonly now: number;
  readonly records: readonly InstanceRecord[];
  /** The store's clock when it read the records. */
  readonly recordsNow: number;
  /** This process's wall clock: instances report their times on theirs. */
  readonly localNow: number;
}

const EVENTS_SHOWN = 50;
const TICKS_SHOWN = 20;
const LEADER_PREFIX = 'leader:';
const CRON_PREFIX = 'cron:';
/** A cron claim's key: `cron:<job>:<tick epoch ms>`. */
const CRON_CLAIM = /^cron:(.+):(\d{10,})$/;

interface LiveInstance {
  readonly id: string;
  readonly payload: InstanceRecordPayload;
  readonly record: InstanceRecord;
}

/**
 * The dashboard's snapshot from the store's listing and the instances' records: holders named by
 * the instance their owner token starts with, hold times and waiters from the records, leaders
 * from the `leader:` keys, cron ticks merged from every instance's reports and the claims still in
 * the store. Pure: no I/O, no clock.
 */
export function assembleSnapshot(sources: SnapshotSources): DashboardSnapshot {
  const instances = liveInstances(sources.records);
  const byId = new Map(instances.map((instance) => [instance.id, instance]));
  const userKey = (key: string): string => key.slice(sources.prefix.length);
  const claims: { job: string; at: number; instanceId: string | null }[] = [];
  const locks = new Map<string, { kind: DashboardLock['kind']; holders: DashboardHolder[] }>();

  for (const lease of sources.leases) {
    const key = userKey(lease.key);
    const instanceId = ownerInstance(lease.owner) ?? null;
    const claim = CRON_CLAIM.exec(key);
    if (claim) {
      claims.push({ job: claim[1]!, at: Number(claim[2]), instanceId });
      continue;
    }
    const live = instanceId === null ? undefined : byId.get(instanceId);
    const token = lease.fencingToken.toString();
    const since = live?.payload.held.find(
      (held) => held.token === token && held.keys.includes(key),
    )?.since;
    const holder: DashboardHolder = {
      instanceId,
      alive: live !== undefined,
      ...(live ? { app: live.payload.app, host: live.payload.host, pid: live.payload.pid } : {}),
      fencingToken: token,
      ...(since === undefined ? {} : { heldMs: Math.max(0, sources.localNow - since) }),
      leaseLeftMs: Math.max(0, lease.expiresAt - sources.now),
    };
    const kind = lease.kind === 'permit' ? 'semaphore' : lease.kind;
    const entry = locks.get(key) ?? { kind, holders: [] };
    entry.holders.push(holder);
    locks.set(key, entry);
  }

  const waiters = new Map<string, { waiter: DashboardWaiter; permits?: number }[]>();
  for (const { id, payload } of instances) {
    for (const wait of payload.waiting) {
      for (const key of wait.keys) {
        const list = waiters.get(key) ?? [];
        list.push({
          waiter: {
            instanceId: id,
            since: wait.since,
            waitedMs: Math.max(0, sources.localNow - wait.since),
            fair: wait.fair,
            ...(wait.mode === undefined ? {} : { mode: wait.mode }),
          },
          ...(wait.permits === undefined ? {} : { permits: wait.permits }),
        });
        waiters.set(key, list);
      }
    }
  }

  const keys = [...new Set([...locks.keys(), ...waiters.keys()])].sort();
  const lockRows: DashboardLock[] = keys.map((key) => {
    const held = locks.get(key);
    const waiting = (waiters.get(key) ?? []).sort((a, b) => a.waiter.since - b.waiter.since);
    const permits = waiting.find((each) => each.permits !== undefined)?.permits;
    const kind = held?.kind ?? (permits !== undefined ? 'semaphore' : 'mutex');
    const role = key.startsWith(LEADER_PREFIX)
      ? 'leader'
      : key.startsWith(CRON_PREFIX)
        ? 'cron-run'
        : undefined;
    return {
      key,
      kind,
      holders: held?.holders ?? [],
      ...(permits === undefined ? {} : { permits }),
      waiters: waiting.map((each) => each.waiter),
      ...(role ? { role } : {}),
    };
  });

  return {
    now: sources.now,
    prefix: sources.prefix,
    backend: sources.backend,
    canList: sources.canList,
    truncated: sources.truncated,
    servedBy: sources.servedBy,
    canForceRelease: sources.canForceRelease,
    instances: instances.map(({ id, payload, record }) =>
      instanceRow(id, payload, record, sources),
    ),
    locks: lockRows,
    leaders: leaders(lockRows, sources.localNow),
    crons: cronJobs(instances, claims),
    events: events(instances),
  };
}

function liveInstances(records: readonly InstanceRecord[]): LiveInstance[] {
  const live: LiveInstance[] = [];
  for (const record of records) {
    const payload = parseInstancePayload(record.payload);
    if (payload) live.push({ id: record.id, payload, record });
  }
  return live;
}

function instanceRow(
  id: string,
  payload: InstanceRecordPayload,
  record: InstanceRecord,
  sources: SnapshotSources,
): DashboardInstance {
  return {
    id,
    app: payload.app,
    host: payload.host,
    pid: payload.pid,
    startedAt: payload.startedAt,
    recordLeftMs: Math.max(0, record.expiresAt - sources.recordsNow),
  };
}

/** Each `leader:` key's holder, its term from when it took the lock. */
function leaders(locks: readonly DashboardLock[], localNow: number): DashboardLeader[] {
  const found: DashboardLeader[] = [];
  for (const lock of locks) {
    const holder = lock.holders[0];
    if (lock.role !== 'leader' || !holder?.instanceId) continue;
    found.push({
      election: lock.key.slice(LEADER_PREFIX.length),
      instanceId: holder.instanceId,
      ...(holder.heldMs === undefined ? {} : { since: localNow - holder.heldMs }),
      fencingToken: holder.fencingToken,
    });
  }
  return found;
}

/** Each job's ticks, newest first: every instance's report merged, and claims still in the store. */
function cronJobs(
  instances: readonly LiveInstance[],
  claims: readonly { job: string; at: number; instanceId: string | null }[],
): DashboardCronJob[] {
  const jobs = new Map<string, Map<number, MutableTick>>();
  const tickOf = (job: string, at: number): MutableTick => {
    let ticks = jobs.get(job);
    if (!ticks) {
      ticks = new Map();
      jobs.set(job, ticks);
    }
    let tick = ticks.get(at);
    if (!tick) {
      tick = { at, ranBy: null, outcome: 'skipped', skippedBy: [] };
      ticks.set(at, tick);
    }
    return tick;
  };
  /** `<job> <tick> <instance>` of every tick an instance reported, however it saw it. */
  const reported = new Set<string>();
  for (const { id, payload } of instances) {
    for (const { job, ticks } of payload.cron) {
      for (const report of ticks) {
        const tick = tickOf(job, report.at);
        reported.add(`${job} ${report.at} ${id}`);
        if (report.outcome === 'claimed-elsewhere') {
          tick.skippedBy.push(id);
        } else if (report.outcome === 'previous-running') {
          tick.claimedBy = id;
        } else {
          tick.ranBy = id;
          tick.outcome = report.outcome;
          if (report.durationMs !== undefined) tick.durationMs = report.durationMs;
          if (report.error !== undefined) tick.error = report.error;
        }
      }
    }
  }
  for (const claim of claims) {
    const tick = tickOf(claim.job, claim.at);
    // A claim whose instance has not reported the tick (it died, or has not written since). A
    // claimer that reported it skipped the run (its previous run still held the job) ran nothing.
    const unreported = !reported.has(`${claim.job} ${claim.at} ${claim.instanceId}`);
    if (tick.ranBy === null && claim.instanceId !== null && unreported) {
      tick.ranBy = claim.instanceId;
      tick.outcome = 'running';
    }
  }
  return [...jobs]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, ticks]) => ({
      name,
      ticks: [...ticks.values()]
        .sort((a, b) => b.at - a.at)
        .slice(0, TICKS_SHOWN)
        .map((tick) => ({ ...tick, skippedBy: [...new Set(tick.skippedBy)].sort() })),
    }));
}

type MutableTick = {
  -readonly [K in keyof DashboardCronTick]: K extends 'skippedBy' ? string[] : DashboardCronTick[K];
};

function events(instances: readonly LiveInstance[]): DashboardEvent[] {
  return instances
    .flatMap(({ id, payload }) => payload.events.map((event) => ({ ...event, instanceId: id })))
    .sort((a, b) => b.at - a.at)
    .slice(0, EVENTS_SHOWN);
}
