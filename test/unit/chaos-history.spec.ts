import { describe, expect, it } from '@jest/globals';
import {
  checkHistory,
  type HistoryRecord,
  parseHistory,
  type SectionRecord,
} from '../chaos/history.js';

const MS = 1_000_000n;

function section(
  fields: Partial<SectionRecord> & Pick<SectionRecord, 'worker' | 'token' | 'start' | 'end'>,
): SectionRecord {
  return {
    type: 'section',
    key: 'k',
    validEnd: fields.end,
    lost: false,
    aborted: false,
    accepted: 1,
    rejected: 0,
    ...fields,
  };
}

describe('the chaos history checker', () => {
  it('accepts sections that take turns with increasing tokens', () => {
    const result = checkHistory([
      section({ worker: 0, token: 1n, start: 0n, end: 10n * MS }),
      section({ worker: 1, token: 2n, start: 11n * MS, end: 20n * MS }),
      section({ worker: 0, token: 3n, start: 21n * MS, end: 30n * MS }),
      section({ worker: 2, token: 1n, start: 5n * MS, end: 25n * MS, key: 'other' }),
    ]);
    expect(result.violations).toEqual([]);
    expect(result.sections).toBe(4);
  });

  it('reports two valid leases on one key at the same time', () => {
    const result = checkHistory([
      section({ worker: 0, token: 1n, start: 0n, end: 10n * MS }),
      section({ worker: 1, token: 2n, start: 9n * MS, end: 20n * MS }),
    ]);
    expect(result.violations).toEqual([expect.stringContaining('overlap on "k": worker 1')]);
  });

  it('reports an overlap hidden behind a short section in between', () => {
    const result = checkHistory([
      section({ worker: 0, token: 1n, start: 0n, end: 50n * MS }),
      section({ worker: 1, token: 2n, start: 10n * MS, end: 12n * MS }),
      section({ worker: 2, token: 3n, start: 20n * MS, end: 30n * MS }),
    ]);
    expect(result.violations).toHaveLength(2);
  });

  it('allows a paused holder to run on after its lease ended, if it knew and its signal aborted', () => {
    const result = checkHistory([
      section({
        worker: 0,
        token: 1n,
        start: 0n,
        validEnd: 5n * MS,
        end: 40n * MS,
        lost: true,
        aborted: true,
        rejected: 1,
      }),
      section({ worker: 1, token: 2n, start: 20n * MS, end: 30n * MS }),
    ]);
    expect(result.violations).toEqual([]);
    expect(result.lostSections).toBe(1);
    expect(result.staleWritesRejected).toBe(1);
  });

  it('reports a lost lease whose signal never aborted', () => {
    const result = checkHistory([
      section({ worker: 0, token: 1n, start: 0n, validEnd: 5n * MS, end: 40n * MS, lost: true }),
    ]);
    expect(result.violations).toEqual([expect.stringContaining('signal never aborted')]);
  });

  it('reports a write rejected while the lease was valid (tokens went backwards)', () => {
    const result = checkHistory([
      section({ worker: 0, token: 1n, start: 0n, end: 5n * MS, rejected: 1 }),
    ]);
    expect(result.violations).toEqual([expect.stringContaining('while its lease was valid')]);
  });

  it('reports fencing tokens that do not increase in start order', () => {
    const result = checkHistory([
      section({ worker: 0, token: 5n, start: 0n, end: 5n * MS }),
      section({ worker: 1, token: 5n, start: 6n * MS, end: 9n * MS }),
    ]);
    expect(result.violations).toEqual([expect.stringContaining('went from 5 to 5')]);
  });

  it('reports unhandled rejections', () => {
    const history: HistoryRecord[] = [{ type: 'unhandled', worker: 3, at: 0n, message: 'boom' }];
    expect(checkHistory(history).violations).toEqual(['worker 3: unhandled rejection: boom']);
  });

  it('measures recovery after each healed fault against the bound', () => {
    const history = [
      section({ worker: 0, token: 1n, start: 0n, end: 5n * MS }),
      section({ worker: 1, token: 2n, start: 100n * MS, end: 105n * MS }),
      section({ worker: 1, token: 3n, start: 900n * MS, end: 905n * MS }),
    ];
    const ok = checkHistory(history, { healedAt: [{ at: 50n * MS }], progressBoundNs: 100n * MS });
    expect(ok.violations).toEqual([]);
    expect(ok.recoveryMs).toEqual([50]);
    const late = checkHistory(history, {
      healedAt: [{ at: 200n * MS }],
      progressBoundNs: 100n * MS,
    });
    expect(late.recoveryMs).toEqual([700]);
    expect(late.violations).toEqual([expect.stringContaining('progress resumed 700 ms')]);
    const never = checkHistory(history, {
      healedAt: [{ at: 950n * MS }],
      progressBoundNs: 100n * MS,
    });
    expect(never.violations).toEqual(['no section started after the fault healed']);
  });

  it('measures recovery on the key a fault hit, and counts overlaps where the store lost its data', () => {
    const history = [
      section({ worker: 0, token: 1n, start: 0n, end: 50n * MS }),
      section({ worker: 1, token: 2n, start: 10n * MS, end: 20n * MS }),
      section({ worker: 2, token: 1n, start: 60n * MS, end: 65n * MS, key: 'other' }),
      section({ worker: 2, token: 3n, start: 500n * MS, end: 505n * MS }),
    ];
    const result = checkHistory(history, {
      healedAt: [{ at: 55n * MS, key: 'k' }],
      progressBoundNs: 100n * MS,
      overlapsExpected: true,
    });
    expect(result.expectedOverlaps).toBe(1);
    // The overtaken holder's writes may be rejected: that is fencing at work, not a violation.
    const fenced = checkHistory(
      [
        section({ worker: 0, token: 1n, start: 0n, end: 50n * MS, rejected: 2 }),
        section({ worker: 1, token: 2n, start: 10n * MS, end: 20n * MS }),
      ],
      { overlapsExpected: true },
    );
    expect(fenced.violations).toEqual([]);
    expect(result.recoveryMs).toEqual([445]);
    expect(result.violations).toEqual([expect.stringContaining('progress on "k" resumed 445 ms')]);
  });

  it('parses the workers’ log lines, bigints included', () => {
    const line = JSON.stringify({
      ...section({ worker: 0, token: 1n, start: 0n, end: 1n }),
      token: '18446744073709551617',
      start: '0',
      validEnd: '1',
      end: '1',
    });
    const [record] = parseHistory(`${line}\n\n`);
    expect((record as SectionRecord).token).toBe(18446744073709551617n);
  });
});
