import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = new URL('../../fixtures/lazy-cron.mjs', import.meta.url).pathname;

/** Runs the fixture against the built package (dist/, built by the global setup). */
async function run(mode: 'present' | 'absent' | 'cjs'): Promise<unknown> {
  const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE, mode], {
    cwd: new URL('../../..', import.meta.url).pathname,
  });
  return JSON.parse(stdout.trim());
}

describe('the cron package, loaded only for @SingletonCron() jobs', () => {
  it('is not loaded by importing nestjs-locker nor by booting LockModule, only when a job is declared', async () => {
    const expected = {
      onImport: false,
      ran: 'ran',
      afterBoot: false,
      onDeclare: true,
      declaredBoot: 'booted',
    };
    expect(await run('present')).toEqual(expected);
    expect(await run('cjs')).toEqual(expected);
  });

  it('when it is missing: the package still loads and locks, and a declared job fails the bootstrap with InvalidLockOptionsError', async () => {
    expect(await run('absent')).toEqual({
      onImport: false,
      ran: 'ran',
      afterBoot: false,
      onDeclare: true,
      declaredBoot: {
        name: 'InvalidLockOptionsError',
        code: 'INVALID_LOCK_OPTIONS',
        field: '@SingletonCron',
        where: 'Jobs.tick',
        message: expect.stringContaining('needs the "cron" package'),
      },
    });
  });
});
