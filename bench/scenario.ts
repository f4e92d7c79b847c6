import type { Comparison, RoundPlan } from './measure.js';

/** What the runner gives every scenario. */
export interface BenchContext {
  /** The Redis server to use (started by the runner when it was not running). */
  readonly redisUrl: string;
  /** Rounds and their length: short with `--quick`. */
  readonly plan: RoundPlan;
  /** Progress output (not part of the report). */
  log(message: string): void;
}

/** What a scenario hands to the report. */
export interface ScenarioReport {
  readonly name: string;
  readonly title: string;
  /** What is measured and how, for the report (markdown). */
  readonly description: string;
  readonly comparisons: Comparison[];
}

/** One benchmark scenario: one file under bench/scenarios/, registered in bench/run.ts. */
export interface Scenario {
  /** Its name on the command line: `npm run bench -- --scenario <name>`. */
  readonly name: string;
  run(context: BenchContext): Promise<ScenarioReport>;
}
