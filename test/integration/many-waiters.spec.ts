import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

const FIXTURE = new URL('../fixtures/many-waiters.mjs', import.meta.url).pathname;

describe('many acquires waiting at once on one manager', () => {
  it('is no listener leak: Node prints no MaxListenersExceededWarning', () => {
    const output = execFileSync(process.execPath, [FIXTURE], { encoding: 'utf8' });
    expect(output).toContain('done 20');
    expect(output).not.toContain('MaxListenersExceededWarning');
  });
});
