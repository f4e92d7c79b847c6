import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PG_URL, REDIS_URL } from '../../support/servers.js';
import { consumerApp, npmRun, packTarball } from './consumer-app.js';

/** The suites' own servers, for the apps' tests that run on real stores. */
const STORES = { LOCKER_TEST_REDIS_URL: REDIS_URL, LOCKER_TEST_PG_URL: PG_URL };

/**
 * Apps made as the Nest CLI's `new` templates make them (and two plain Node programs), with the
 * packed package installed, each running its own commands. Fixtures: test/fixtures/consumer-apps.
 */
const apps: readonly { fixture: string; what: string; scripts: readonly string[] }[] = [
  {
    fixture: 'nest11-cjs-jest',
    what: 'a Nest 11 CommonJS app (TypeScript 5.9, nodenext and classic node10 tsconfig), its jest unit and e2e tests with ts-jest (two instances on the test Redis and Postgres among them)',
    scripts: ['typecheck', 'test', 'test:e2e'],
  },
  {
    fixture: 'nest12-esm-vitest',
    what: 'a Nest 12 ES-module app (TypeScript 6, nodenext and bundler tsconfig), its vitest unit and e2e tests',
    scripts: ['typecheck', 'test', 'test:e2e'],
  },
  {
    fixture: 'node-esm',
    what: 'a plain Node ES-module program, no Nest installed: nestjs-locker/core under node --test',
    scripts: ['test'],
  },
  {
    fixture: 'node-cjs',
    what: 'a plain Node CommonJS program, no Nest installed: nestjs-locker/core under node --test',
    scripts: ['test'],
  },
  {
    fixture: 'ts-min',
    what: "TypeScript 5.0, the stated minimum: every entry point under node10, node16, nodenext and bundler (both builds' .d.ts checked, skipLibCheck off)",
    scripts: ['test'],
  },
];

describe('consumer apps, installing the packed package', () => {
  let dir = '';
  let tarball = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'locker-consumers-'));
    ({ tarball } = await packTarball(dir));
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(apps)(
    '$what',
    async ({ fixture, scripts }) => {
      const app = await consumerApp(fixture, tarball);
      for (const script of scripts) {
        await expect(npmRun(app, script, STORES)).resolves.toBeDefined();
      }
    },
    900_000,
  );
});
