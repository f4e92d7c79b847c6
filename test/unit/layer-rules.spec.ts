import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { ICruiseResult } from 'dependency-cruiser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// dependency-cruiser runs in its own node process: jest's module mapper (`.cjs` to `.cts`, for
// lib/) would remap dependency-cruiser's own files.
const CRUISE = `
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';
const [baseDir, configFile, tsConfig] = process.argv.slice(1);
const { forbidden, options } = createRequire(import.meta.url)(configFile);
const { output } = await cruise(
  ['lib'],
  { ...options, tsConfig: undefined, baseDir, ruleSet: { forbidden }, validate: true },
  { tsConfig },
);
process.stdout.write(JSON.stringify(output));
`;

/** Cruises `lib` under `baseDir` with the project's rules, as `npm run lint` does. */
async function cruiseLib(baseDir: string): Promise<ICruiseResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      CRUISE,
      baseDir,
      path.join(root, '.dependency-cruiser.cjs'),
      path.join(root, 'tsconfig.json'),
    ],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as ICruiseResult;
}

/** One line per violation: `rule: from -> to`, sorted. */
function violations(result: ICruiseResult): string[] {
  return (result.summary.violations ?? [])
    .map((v) =>
      v.rule.name === 'no-circular'
        ? `${v.rule.name}: ${v.from} -> ${(v.cycle ?? []).map((step) => step.name).join(' -> ')}`
        : `${v.rule.name}: ${v.from} -> ${v.to}`,
    )
    .sort();
}

describe('the layer rules of lib/ (.dependency-cruiser.cjs)', () => {
  it('report every import that breaks a layer, and nothing a layer may import', async () => {
    const result = await cruiseLib(path.join(root, 'test/fixtures/layers'));
    expect(violations(result)).toEqual(
      [
        'backend-own-folder: lib/backends/memory/reaches-manager.ts -> lib/manager/manager-thing.ts',
        'backend-own-folder: lib/backends/postgres/reaches-redis.ts -> lib/backends/redis/redis-thing.ts',
        'backends-shared-below-stores: lib/backends/shared/reaches-memory.ts -> lib/backends/memory/memory-thing.ts',
        'contract-is-ground-floor: lib/contract/reaches-manager.ts -> lib/manager/manager-thing.ts',
        'core-entry-without-nest: lib/core/index.ts -> lib/nest/nest-thing.ts',
        'dashboard-above-manager: lib/dashboard/reaches-nest.ts -> lib/nest/nest-thing.ts',
        'lib-not-tests: lib/testing/reaches-test.ts -> test/test-helper.ts',
        'manager-below-nest: lib/manager/reaches-nest.ts -> lib/nest/nest-thing.ts',
        'nest-on-top: lib/nest/reaches-testing.ts -> lib/testing/testing-thing.ts',
        'no-circular: lib/manager/circle-a.ts -> lib/manager/circle-b.ts -> lib/manager/circle-a.ts',
        'redlock-reuses-redis: lib/backends/redlock/reaches-postgres.ts -> lib/backends/postgres/postgres-thing.ts',
        'telemetry-above-manager: lib/telemetry/reaches-nest.ts -> lib/nest/nest-thing.ts',
      ].sort(),
    );
  });

  it('find no violation in the real lib/, with every import resolved (.js to .ts, .cjs to .cts)', async () => {
    const result = await cruiseLib(root);
    expect(violations(result)).toEqual([]);
    const unresolved = result.modules.flatMap((module) =>
      module.dependencies
        .filter((dependency) => dependency.couldNotResolve)
        .map((dependency) => `${module.source} -> ${dependency.module}`),
    );
    expect(unresolved).toEqual([]);
    const requirePeer = result.modules.find((module) =>
      module.source.endsWith('backends/shared/require-peer.cts'),
    );
    expect(requirePeer?.dependents).toEqual(
      expect.arrayContaining(['lib/backends/redis/load-ioredis.ts']),
    );
  });
});
