import { writeFileSync } from 'node:fs';
import type { TrialResult } from './chaos-runner.js';
import type { ChaosProfile } from './scenarios.js';

/** Percentile by nearest rank of an unsorted list (undefined when empty). */
function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const fmt = (value: number | undefined): string =>
  value === undefined ? '–' : `${Math.round(value).toLocaleString('en-US')}`;

/** One line per scenario: trials, faults, sections, losses, stale writes, violations, recovery. */
export function reliabilityTable(results: readonly TrialResult[]): string[] {
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const lines = [
    '| scenario | trials | faults injected | sections | leases lost | stale writes rejected | overlaps after data loss | violations | recovery after fault, ms (p50 / max) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const scenario of scenarios) {
    const trials = results.filter((r) => r.scenario === scenario);
    const sum = (pick: (r: TrialResult) => number): number =>
      trials.reduce((total, r) => total + pick(r), 0);
    const recovery = trials.flatMap((r) => r.recoveryMs);
    lines.push(
      `| ${scenario} | ${trials.length} | ${sum((r) => r.faults)} | ${sum((r) => r.sections)} | ${sum((r) => r.lostSections)} | ${sum((r) => r.staleWritesRejected)} | ${sum((r) => r.expectedOverlaps)} | ${sum((r) => r.violations.length)} | ${fmt(percentile(recovery, 50))} / ${fmt(percentile(recovery, 100))} |`,
    );
  }
  return lines;
}

/** Writes RELIABILITY.md from a full run. */
export function writeReliabilityReport(
  path: string,
  profile: ChaosProfile,
  descriptions: ReadonlyMap<string, string>,
  results: readonly TrialResult[],
  startedAt: Date,
): void {
  const violations = results.flatMap((r) => r.violations.map((v) => `- ${r.scenario}: ${v}`));
  const text = [
    '# Reliability',
    '',
    'What the lock checker (`test/chaos/`) ran, and what it found. Written by `npm run chaos`.',
    '',
    `- Run: ${startedAt.toISOString()}, profile \`${profile.name}\`: ${profile.workers} worker processes on ${profile.keys} shared keys, ${profile.durationMs / 1000} s per trial, ${profile.trials} trials per scenario, the fault ${profile.faultsPerTrial}× per trial.`,
    `- Command: \`npm run chaos\` (\`npm test\` runs the \`short\` profile: ${PROFILE_SHORT}).`,
    '- Every critical section writes to a fenced resource (it refuses a token below one it accepted)',
    '  and is logged with its fencing token and, on the system monotonic clock, its start, the last',
    '  moment its lease was seen valid, and its end.',
    '',
    '## Checked in every trial',
    '',
    '- no two sections on one key overlap while both held a valid lease (unless the store lost its',
    '  data, where overlaps are counted and fencing must reject the stale holder);',
    '- fencing tokens increase in the order sections started; the fenced resource never rejected a',
    '  write of a holder whose lease was valid;',
    '- every section that lost its lease saw its `AbortSignal` fire;',
    '- after each fault healed, a section started within ttl + one renewal period + 2 s;',
    '- no unhandled rejection in any worker; every worker not killed exits 0; no lock is left held',
    '  once all workers stopped (and killed holders’ leases ran out).',
    '',
    '## Results',
    '',
    ...reliabilityTable(results),
    '',
    'Recovery: from the moment a fault healed (or, for a killed or paused holder, from the kill or',
    'pause) until the next section started on the key it hit (any key for store-wide faults).',
    '',
    '## Scenarios',
    '',
    ...[...descriptions].map(([name, description]) => `- **${name}**: ${description}`),
    '',
    '## Violations',
    '',
    ...(violations.length === 0 ? ['None.'] : violations),
    '',
  ].join('\n');
  writeFileSync(path, text);
}

const PROFILE_SHORT = 'one trial of every scenario, 4 workers, 2 keys, 7 s';
