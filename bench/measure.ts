import { performance } from 'node:perf_hooks';
import { Samples } from './stats.js';

/** One way of doing the scenario's operation, measured against the others. */
export interface Contestant {
  readonly name: string;
  /** What it does, for the report (markdown). */
  readonly description: string;
  /** One operation by worker `worker` (0 to concurrency - 1). Throws when it goes wrong. */
  op(worker: number): Promise<void>;
}

/** How long and how often each contestant runs. */
export interface RoundPlan {
  /** Measured rounds; each runs every contestant once, in a rotating order. */
  readonly rounds: number;
  /** How long each contestant runs in each round, in ms. */
  readonly roundMs: number;
  /** How long each contestant runs, unmeasured, before the first round, in ms. */
  readonly warmupMs: number;
}

/** What one contestant did over all rounds. */
export interface Measurement {
  readonly name: string;
  /** Operations per second, one entry per round. */
  readonly opsPerSec: number[];
  /** The duration of every operation of every round, in ms. */
  readonly latencyMs: Samples;
}

/**
 * Runs `contestants` with `concurrency` workers each: a warm-up, then `plan.rounds` rounds in which
 * every contestant runs for `plan.roundMs`, one after the other. The order rotates from round to
 * round, so no contestant always runs first or last on a machine whose speed drifts.
 */
export async function measure(
  contestants: readonly Contestant[],
  concurrency: number,
  plan: RoundPlan,
  log: (message: string) => void = () => undefined,
): Promise<Measurement[]> {
  for (const contestant of contestants) await runFor(contestant, concurrency, plan.warmupMs);
  const results = contestants.map(
    (contestant): Measurement => ({
      name: contestant.name,
      opsPerSec: [],
      latencyMs: new Samples(),
    }),
  );
  for (let round = 0; round < plan.rounds; round++) {
    const line: string[] = [];
    for (let k = 0; k < contestants.length; k++) {
      const index = (round + k) % contestants.length;
      const result = results[index]!;
      const { ops, elapsedMs } = await runFor(
        contestants[index]!,
        concurrency,
        plan.roundMs,
        result.latencyMs,
      );
      const opsPerSec = (ops * 1000) / elapsedMs;
      result.opsPerSec.push(opsPerSec);
      line.push(`${result.name} ${Math.round(opsPerSec)}`);
    }
    log(`  round ${round + 1}/${plan.rounds}: ${line.join(', ')} ops/s`);
  }
  return results;
}

/**
 * Runs `concurrency` workers that each repeat the contestant's operation until `durationMs` has
 * passed, recording each operation's latency into `samples` when given.
 */
async function runFor(
  contestant: Contestant,
  concurrency: number,
  durationMs: number,
  samples?: Samples,
): Promise<{ ops: number; elapsedMs: number }> {
  let ops = 0;
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  const worker = async (index: number): Promise<void> => {
    let now = performance.now();
    while (now < deadline) {
      await contestant.op(index);
      const done = performance.now();
      samples?.add(done - now);
      ops++;
      now = done;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  return { ops, elapsedMs: performance.now() - startedAt };
}
