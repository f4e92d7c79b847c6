/** One critical section as a worker recorded it: fencing token, start and end (monotonic ns). */
export interface Section {
  readonly worker: number;
  readonly token: bigint;
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Checks a history of critical sections: in time order, no section starts before the previous one
 * ended, and fencing tokens strictly increase. Returns the violations found, as readable lines.
 */
export function checkSections(sections: readonly Section[]): string[] {
  const ordered = [...sections].sort((a, b) =>
    a.start < b.start ? -1 : a.start > b.start ? 1 : 0,
  );
  const violations: string[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const [prev, next] = [ordered[i - 1]!, ordered[i]!];
    if (next.start <= prev.end) {
      violations.push(`overlap: worker ${next.worker} started before worker ${prev.worker} ended`);
    }
    if (next.token <= prev.token) {
      violations.push(`fencing token went from ${prev.token} to ${next.token}`);
    }
  }
  return violations;
}
