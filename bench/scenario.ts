import type { RoundPlan } from './measure.js';
import type { Table } from './report/table.js';

/** What the runner gives every scenario. */
export interface BenchContext {
  /** The Redis server to use (started by the runner when it was not running). */
  readonly redisUrl: string;
  /** The PostgreSQL server to use, as the `postgres` superuser (started like Redis). */
  readonly postgresUrl: string;
  /** Rounds and their length: short with `--quick`. */
  readonly plan: RoundPlan;
  /** `--quick`: a smoke run; scenarios may also shrink what they set up. */
  readonly quick: boolean;
  /**
   * `count` independent Redis servers (the first is `redisUrl`), for quorum scenarios. The runner
   * starts the others on ports of its own and stops them at the end.
   */
  redisServers(count: number): Promise<string[]>;
  /**
   * A ZooKeeper (its connection string) or etcd (its endpoint URL) server, started by the runner
   * on its own port the first time a scenario asks, and stopped at the end.
   */
  consensusServer(kind: 'zookeeper' | 'etcd'): Promise<string>;
  /** Progress output (not part of the report). */
  log(message: string): void;
}

/** A contestant as the report introduces it. */
export interface ContestantInfo {
  readonly name: string;
  /** What it does, for the report (markdown). */
  readonly description: string;
}

/** One table of a scenario's report, under its own heading. */
export interface Section {
  readonly title: string;
  readonly table: Table;
  /** Paragraphs (markdown) printed under the table. */
  readonly notes?: readonly string[];
}

/** A distribution to draw: one line per series, as a cumulative distribution (bench/charts/). */
export interface Chart {
  /** The SVG's file name without extension, unique in the run: `uncontended-c64-latency`. */
  readonly file: string;
  readonly title: string;
  /** What the values are, with unit: `acquire + release latency (ms)`. */
  readonly axis: string;
  readonly series: readonly { readonly name: string; readonly values: ArrayLike<number> }[];
}

/** One target of the issue and how this run did against it: a line of the summary table. */
export interface TargetResult {
  /** What is measured, naming the contestant and the conditions. */
  readonly what: string;
  /** The target, such as `≥ 1.15× raw`. */
  readonly target: string;
  /** This run's figure, such as `1.42×`. */
  readonly result: string;
  /** Whether it was met; `undefined` while the contestant cannot run yet. */
  readonly met: boolean | undefined;
}

/** What a scenario hands to the report. */
export interface ScenarioReport {
  readonly name: string;
  readonly title: string;
  /** What is measured and how, for the report (markdown). */
  readonly description: string;
  readonly contestants: readonly ContestantInfo[];
  readonly sections: readonly Section[];
  readonly charts: readonly Chart[];
  /** Its targets with this run's verdicts, gathered at the head of the report. */
  readonly targets?: readonly TargetResult[];
}

/** One benchmark scenario: one file under bench/scenarios/, registered in bench/run.ts. */
export interface Scenario {
  /** Its name on the command line: `npm run bench -- --scenario <name>`. */
  readonly name: string;
  run(context: BenchContext): Promise<ScenarioReport>;
}
