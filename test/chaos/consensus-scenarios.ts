import { sleep } from '../support/async.js';
import type { TestEnsemble } from '../support/consensus-ensemble.js';
import type { ChaosScenario, RunStore } from './chaos-runner.js';
import { killHolder, now, pauseHolder, repeat } from './faults.js';
import type { ChaosProfile } from './scenarios.js';

const TTL_MS = 2_000;

/** What each store is called in the scenario names. */
const LABEL = { zookeeper: 'zookeeper', etcd: 'etcd' } as const;

/** The store of a three-member ensemble, as the workers open it. */
function storeOf(ensemble: TestEnsemble): RunStore {
  return ensemble.kind === 'zookeeper'
    ? { kind: 'zookeeper', connect: ensemble.connectString }
    : { kind: 'etcd', endpoints: ensemble.endpoints };
}

/**
 * The fault scenarios of a consensus store (ZooKeeper, etcd) on a three-member ensemble: the
 * holder's faults (killed, paused past its lease) and the store's (a follower lost, the leader
 * lost, a majority lost). Pass criteria are the suite's: no overlapping valid holds, no stale
 * fenced write, every loss signalled, progress within a lease and a period after healing.
 */
export function consensusScenarios(profile: ChaosProfile, ensemble: TestEnsemble): ChaosScenario[] {
  const store = storeOf(ensemble);
  const label = LABEL[ensemble.kind];
  const base = {
    workers: profile.workers,
    keys: profile.keys,
    ttlMs: TTL_MS,
    durationMs: profile.durationMs,
    storeFor: () => store,
    checkStore: store,
  };
  const times = profile.faultsPerTrial;
  /** Kills members `indexes` (-9), keeps them down for 1.5 × ttl, restarts them on their data. */
  const downFor = async (indexes: readonly number[]): Promise<bigint> => {
    await Promise.all(indexes.map((index) => ensemble.kill(index)));
    const downAt = now();
    await sleep(1.5 * TTL_MS);
    for (const index of indexes) ensemble.restart(index);
    return downAt;
  };
  return [
    {
      ...base,
      name: `${label}: holder kill -9`,
      description: `Locks on a three-member ${label} ensemble; the worker holding a key is killed with SIGKILL in the middle of its section.`,
      inject: (context) =>
        repeat(Math.min(times, profile.workers - 2), profile.durationMs, (round) =>
          killHolder(context, context.keys[round % context.keys.length]!),
        ),
    },
    {
      ...base,
      name: `${label}: holder paused past its lease`,
      description: `The ${label} lock holder stops itself (SIGSTOP) between its "lease is valid" check and a write, for 2 × ttl, then resumes and writes with its old token.`,
      inject: (context) =>
        repeat(times, profile.durationMs, (round) =>
          pauseHolder(context, context.keys[round % context.keys.length]!, 2 * TTL_MS),
        ),
    },
    {
      ...base,
      name: `${label}: 1 of 3 members killed`,
      description: `A follower of the ${label} ensemble is killed with SIGKILL, stays down for 1.5 × ttl and restarts on its data. Two of three are a majority, so locking goes on throughout.`,
      inject: () =>
        repeat(times, profile.durationMs, async () => {
          const leader = await ensemble.leader();
          const follower = (leader + 1 + Math.floor(Math.random() * 2)) % 3;
          // The fault is a minority: progress is expected from the moment it began.
          return { at: await downFor([follower]) };
        }),
    },
    {
      ...base,
      name: `${label}: leader killed`,
      description: `The ${label} leader is killed with SIGKILL; the other two elect a new one, and the old leader restarts on its data after 1.5 × ttl.`,
      inject: (context) =>
        repeat(times, profile.durationMs, async () => {
          const leader = await ensemble.leader();
          await ensemble.kill(leader);
          context.log(`${label} leader (member ${leader}) killed`);
          // Progress is expected once the others have elected a leader.
          await ensemble.leader();
          const at = now();
          await sleep(1.5 * TTL_MS);
          ensemble.restart(leader);
          return { at };
        }),
    },
    {
      ...base,
      // The fault heals 1.5 s + 1.5 × ttl + the members' restart after the start (about 7 s on a
      // loaded machine): the workers run 2 × 1.5 × ttl longer than the others, so that progress
      // after healing is always within the run and always checked.
      durationMs: profile.durationMs + 3 * TTL_MS,
      name: `${label}: majority lost`,
      description: `Two of the three ${label} members are killed with SIGKILL for 1.5 × ttl: acquires fail with LockBackendError within their timeout (no hang), holders lose their locks at the latest when their lease runs out, and locking resumes once both restart.`,
      inject: (context) =>
        repeat(times, profile.durationMs, async (round) => {
          const kept = round % 3;
          await downFor([0, 1, 2].filter((index) => index !== kept));
          context.log(`${label} majority killed and restarted`);
          await Promise.all([0, 1, 2].map((index) => ensemble.serving(index)));
          return { at: now() };
        }),
    },
  ];
}
