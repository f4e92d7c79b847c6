import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { uniqueId } from '../support/async.js';
import { checkSections, type Section } from '../support/section-checker.js';
import { REDIS_URL } from '../support/servers.js';

const WORKER = new URL('../fixtures/critical-section.worker.mjs', import.meta.url).pathname;

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`)),
    );
  });
}

describe('mutual exclusion across separate processes through real Redis', () => {
  it('never overlaps 4 processes × 200 critical sections, and fencing tokens increase in time order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'locker-mp-'));
    const prefix = `multiprocess:${uniqueId()}:`;
    const workers = [0, 1, 2, 3];
    try {
      await Promise.all(
        workers.map((w) => run([REDIS_URL, prefix, '200', join(dir, `${w}.json`)])),
      );
      const sections: Section[] = workers.flatMap((worker) =>
        (JSON.parse(readFileSync(join(dir, `${worker}.json`), 'utf8')) as string[][]).map(
          ([token, start, end]) => ({
            worker,
            token: BigInt(token!),
            start: BigInt(start!),
            end: BigInt(end!),
          }),
        ),
      );
      expect(sections).toHaveLength(800);
      expect(checkSections(sections)).toEqual([]);
      expect(new Set(sections.map((s) => s.token)).size).toBe(800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
