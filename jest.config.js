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
// as in the build output.
const swcCommonJs = [swc[0], { ...swc[1], module: { type: 'commonjs' } }];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'cts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': swc, '^.+\\.cts$': swcCommonJs },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1', '^(\\.{1,2}/.*)\\.cjs$': '$1.cts' },
  setupFilesAfterEnv: ['<rootDir>/test/setup/fail-on-unhandled.ts'],
};

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
    },
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.spec.ts'] },
  ],
};
