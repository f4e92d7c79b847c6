import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { uniqueId } from '../../support/async.js';
import { REDIS_URL } from '../../support/servers.js';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures/packaged-apps');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** The environment without what `npm test` sets for its own run (npm_config_*, npm_package_*). */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** The version of a package in the repo's node_modules: the temp apps use what the tests use. */
const repoVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

interface PackedFile {
  readonly path: string;
}

/**
 * An app of a user's, in a temp dir: `package.json`, the fixture's sources, nestjs-locker from the
 * tarball and the rest from the npm registry (the local npm cache first), compiled with the
 * repo's TypeScript against the installed package's types, then run.
 */
async function userApp(
  dir: string,
  fixture: 'esm' | 'cjs',
  type: 'module' | 'commonjs',
  tarball: string,
  dependencies: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Record<string, unknown>> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `locker-${fixture}-app`, private: true, type }),
  );
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      tarball,
      ...dependencies,
    ],
    { cwd: dir, env: cleanEnv(), timeout: 120_000 },
  );
  await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeout: 60_000 });
  const { stdout } = await run(process.execPath, ['dist/app.js'], {
    cwd: dir,
    env: { ...cleanEnv(), ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the packed package (npm pack), installed as a user would', () => {
  let dir = '';
  let tarball = '';
  let files: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'locker-pack-'));
    // dist/ is built by the global setup; --ignore-scripts skips prepack's second build.
    const { stdout } = await run(
      'npm',
      ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
      { cwd: ROOT, env: cleanEnv() },
    );
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: PackedFile[] }];
    tarball = join(dir, packed.filename);
    files = packed.files.map((file) => file.path).sort();
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
    const nest = repoVersion('@nestjs/core');
    const seen = await userApp(
      join(dir, 'esm-app'),
      'esm',
      'module',
      tarball,
      [
        `@nestjs/common@${nest}`,
        `@nestjs/core@${nest}`,
        `@nestjs/platform-express@${repoVersion('@nestjs/platform-express')}`,
        `@nestjs/schedule@${repoVersion('@nestjs/schedule')}`,
        '@nestjs/config@12',
        `ioredis@${repoVersion('ioredis')}`,
        `reflect-metadata@${repoVersion('reflect-metadata')}`,
        `rxjs@${repoVersion('rxjs')}`,
        `@types/node@${repoVersion('@types/node')}`,
      ],
      { REDIS_URL, LOCK_PREFIX: `packed:${uniqueId()}:` },
    );
    expect(seen).toEqual({
      statuses: [201, 409, 409],
      cronRegistered: true,
      cronRan: true,
      lockedAfterwards: false,
      testingEntry: 'function',
    });
  }, 180_000);

  it('loads with require() in a CommonJS Nest 11 app (@nestjs/schedule 6)', async () => {
    const seen = await userApp(join(dir, 'cjs-app'), 'cjs', 'commonjs', tarball, [
      '@nestjs/common@11',
      '@nestjs/core@11',
      '@nestjs/platform-express@11',
      '@nestjs/schedule@6',
      `reflect-metadata@${repoVersion('reflect-metadata')}`,
      `rxjs@${repoVersion('rxjs')}`,
      `@types/node@${repoVersion('@types/node')}`,
    ]);
    expect(seen).toEqual({
      statuses: [201, 409, 409],
      cronRegistered: true,
      cronRan: true,
      moduleSystem: 'commonjs',
    });
  }, 180_000);
});
