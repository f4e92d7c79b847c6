import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Samples } from '../stats.js';
import type { InstanceView, StoreViews } from './store-views.js';

/** Instances, and callers on each, of one burst. */
export const INSTANCES = 8;
export const CALLERS_PER_INSTANCE = 4;

/** What bursts of one call length measured on one store. */
export interface MergedCalls {
  readonly callMs: number;
  /** One caller alone calling `share`, once per burst, in ms. */
  readonly aloneMs: Float64Array;
  /** Every caller of every burst, from its call to its result, in ms. */
  readonly callersMs: Float64Array;
  /** How many times the call ran, per burst: 1 each when calls merge. */
  readonly runsPerBurst: number[];
  /** Bursts in which a caller got a result other than the run's. */
  readonly mismatches: number;
}

/**
 * `INSTANCES` × `CALLERS_PER_INSTANCE` callers calling `share` at the same instant on a call that
 * takes `callMs`, `bursts` times per call length (a fresh key each), against one caller alone.
 */
export async function measureMergedCalls(
  views: StoreViews,
  callLengthsMs: readonly number[],
  bursts: number,
): Promise<MergedCalls[]> {
  const prefix = `bench:share:${views.store}:${Date.now().toString(36)}:`;
  const instances: InstanceView[] = [];
  try {
    for (let i = 0; i < INSTANCES; i++) instances.push(await views.open({ keyPrefix: prefix }));
    const results: MergedCalls[] = [];
    for (const callMs of callLengthsMs) {
      const alone = new Samples();
      const callers = new Samples();
      const runsPerBurst: number[] = [];
      let mismatches = 0;
      for (let burst = 0; burst < bursts; burst++) {
        const single = instances[burst % INSTANCES]!;
        const aloneStart = performance.now();
        await single.manager.share(`alone:${callMs}:${burst}`, () => call(callMs, burst));
        alone.add(performance.now() - aloneStart);

        let runs = 0;
        const key = `burst:${callMs}:${burst}`;
        const answers = await Promise.all(
          instances.flatMap((instance) =>
            Array.from({ length: CALLERS_PER_INSTANCE }, async () => {
              const startedAt = performance.now();
              const answer = await instance.manager.share(key, () => {
                runs++;
                return call(callMs, burst);
              });
              callers.add(performance.now() - startedAt);
              return answer;
            }),
          ),
        );
        runsPerBurst.push(runs);
        if (
          answers.some((answer) => answer.burst !== burst || answer.token !== answers[0]!.token)
        ) {
          mismatches++;
        }
      }
      results.push({
        callMs,
        aloneMs: alone.values(),
        callersMs: callers.values(),
        runsPerBurst,
        mismatches,
      });
    }
    return results;
  } finally {
    await Promise.all(instances.map((instance) => instance.close()));
  }
}

/** The shared call: `callMs` of I/O, then a small JSON result unique to the run. */
async function call(callMs: number, burst: number): Promise<{ burst: number; token: number }> {
  await sleep(callMs);
  return { burst, token: Math.random() };
}
