import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = new URL('../../fixtures/without-otel.mjs', import.meta.url).pathname;

describe('Without @opentelemetry/api installed (optional peer)', () => {
  it('loads, locks and boots LockModule with telemetry on, recording nothing', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE], {
      cwd: new URL('../../..', import.meta.url).pathname,
    });
    expect(JSON.parse(stdout.trim())).toEqual({
      api: 'absent',
      active: false,
      fromManager: true,
      fromModule: 'ran',
    });
  });
});
