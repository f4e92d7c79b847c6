import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { uniqueId } from '../../support/async.js';
import { REDIS_URL } from '../../support/servers.js';
import { consumerApp, npmRun, packTarball, ROOT } from './consumer-app.js';

const FIXTURES = join(ROOT, 'test/fixtures/packaged-apps');

/**
 * A user's app (test/fixtures/packaged-apps/<fixture>) with the packed package installed, built and
 * started with its own `npm start`; returns the JSON line it prints last.
 */
async function userApp(
  fixture: 'esm' | 'cjs',
  tarball: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, unknown>> {
  const app = await consumerApp(fixture, tarball, FIXTURES);
  const { stdout } = await npmRun(app, 'start', env);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the packed package (npm pack), installed as a user would', () => {
  let dir = '';
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'locker-pack-'));
    const packed = await packTarball(dir);
    tarball = packed.tarball;
    files = packed.files.sort();
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds dist (ESM and CommonJS builds, each with types), the SQL for Postgres, README, LICENSE and CHANGELOG only', () => {
    const outside = files.filter(
      (path) =>
        !/^dist\/.+\.(js|d\.ts|cjs|d\.cts)$/.test(path) &&
        ![
          'package.json',
          'dist/cjs/package.json',
          'README.md',
          'LICENSE',
          'CHANGELOG.md',
          'sql/nestjs-locker.sql',
        ].includes(path),
    );
    expect(outside).toEqual([]);
    const entries = ['index', 'core/index', 'testing/index'];
    expect(files).toEqual(
      expect.arrayContaining([
        ...entries.flatMap((entry) => [`dist/${entry}.js`, `dist/${entry}.d.ts`]),
        ...entries.flatMap((entry) => [`dist/cjs/${entry}.js`, `dist/cjs/${entry}.d.ts`]),
        'dist/cjs/package.json',
        'sql/nestjs-locker.sql',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
      ]),
    );
    // Every .js with its .d.ts (every .cjs with its .d.cts), in both builds.
    const types = new Set(files.filter((path) => /\.d\.c?ts$/.test(path)));
    const untyped = files
      .filter((path) => /\.c?js$/.test(path))
      .filter((path) => !types.has(path.replace(/\.js$/, '.d.ts').replace(/\.cjs$/, '.d.cts')));
    expect(untyped).toEqual([]);
    // The CommonJS build mirrors the ESM one file for file.
    const esm = files.filter((path) => /^dist\/(?!cjs\/)/.test(path));
    const cjs = new Set(files.filter((path) => path.startsWith('dist/cjs/')));
    expect(esm.filter((path) => !cjs.has(path.replace(/^dist\//, 'dist/cjs/')))).toEqual([]);
  });

  it('has no import.meta in the CommonJS build, which a CommonJS runtime (jest) cannot parse', () => {
    const withImportMeta = files
      .filter((path) => path.startsWith('dist/cjs/') && /\.c?js$/.test(path))
      .filter((path) => readFileSync(join(ROOT, path), 'utf8').includes('import.meta'));
    expect(withImportMeta).toEqual([]);
  });

  it('boots in a Nest 12 ESM app: forRootAsync with ConfigService, Redis, @Locked over HTTP, @SingletonCron, nestjs-locker/testing', async () => {
    const seen = await userApp('esm', tarball, {
      REDIS_URL,
      LOCK_PREFIX: `packed:${uniqueId()}:`,
    });
    expect(seen).toEqual({
      statuses: [201, 409, 409],
      cronRegistered: true,
      cronRan: true,
      lockedAfterwards: false,
      testingEntry: 'function',
    });
  }, 180_000);

  it('loads with require() in a CommonJS Nest 11 app (@nestjs/schedule 6)', async () => {
    const seen = await userApp('cjs', tarball);
    expect(seen).toEqual({
      statuses: [201, 409, 409],
      cronRegistered: true,
      cronRan: true,
      moduleSystem: 'commonjs',
    });
  }, 180_000);
});
