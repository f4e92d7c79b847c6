/**
 * Native ESM jest (run through `node --experimental-vm-modules`, see `npm test`), TypeScript via
 * @swc/jest with legacy decorators and decorator metadata, as Nest needs them.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

// The one CommonJS source (lib/backends/shared/require-peer.cts), imported as `./require-peer.cjs`
// as in the build output. Only that name is mapped: a package's own `.cjs` files (underscore's,
// which node-zookeeper-client loads) must resolve as they are.
const swcCommonJs = [swc[0], { ...swc[1], module: { type: 'commonjs' } }];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'cts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': swc, '^.+\\.cts$': swcCommonJs },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^(\\.{1,2}/(?:.*/)?require-peer)\\.cjs$': '$1.cts',
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup/fail-on-unhandled.ts'],
};

/**
 * The suites that start several processes, kill or pause servers, or measure time on a loaded
 * machine: `npm run test:faults` runs them (and .ci/run), so `npm test` stays quick and
 * deterministic. Add a spec here when it needs processes, faults or wall-clock bounds.
 */
const FAULTS = [
  '<rootDir>/test/integration/**/*.processes.spec.ts',
  '<rootDir>/test/integration/multi-process.spec.ts',
  '<rootDir>/test/integration/*-faults.spec.ts',
  '<rootDir>/test/integration/redis-cluster.spec.ts',
  '<rootDir>/test/integration/redis-replicas.spec.ts',
  '<rootDir>/test/integration/production-guards.spec.ts',
  '<rootDir>/test/integration/redlock-batches.spec.ts',
  '<rootDir>/test/integration/redlock-quorum-report.spec.ts',
  '<rootDir>/test/integration/nest/lock-health.spec.ts',
  '<rootDir>/test/integration/sample-app/**/*.spec.ts',
];

export default {
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  testTimeout: 30_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'conformance',
      testMatch: ['<rootDir>/test/conformance/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      // jest has no negated testMatch across projects: the faults' files by name, as regexps.
      testPathIgnorePatterns: [
        '/node_modules/',
        '/test/integration/.*\\.processes\\.spec\\.ts$',
        '/test/integration/multi-process\\.spec\\.ts$',
        '/test/integration/[^/]*-faults\\.spec\\.ts$',
        '/test/integration/redis-cluster\\.spec\\.ts$',
        '/test/integration/redis-replicas\\.spec\\.ts$',
        '/test/integration/redlock-batches\\.spec\\.ts$',
        '/test/integration/redlock-quorum-report\\.spec\\.ts$',
        '/test/integration/nest/lock-health\\.spec\\.ts$',
        '/test/integration/production-guards\\.spec\\.ts$',
        '/test/integration/sample-app/',
      ],
    },
    { ...common, displayName: 'faults', testMatch: FAULTS },
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.spec.ts'] },
    // Headless Chromium (the Debian package) against sample-app processes: `npm run test:browser`.
    {
      ...common,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.browser.spec.ts'],
    },
  ],
};
