/**
 * The layers of lib/ (see DESIGN.md, "Layers"), checked by `npm run lint` and proved able to fail by
 * test/unit/layer-rules.spec.ts on the fixtures in test/fixtures/layers/. Bottom to top:
 *
 *   contract/          the backend contract, errors, library warnings: imports nothing else in lib/
 *   manager/           LockManager (plain TS): contract/
 *   backends/shared/   helpers for backends: contract/
 *   backends/<store>/  contract/, backends/shared/, its own folder (redlock also redis/)
 *   telemetry/         contract/, manager/
 *   dashboard/         contract/, manager/ (the lock dashboard's data side, without Nest)
 *   nest/              contract/, manager/, telemetry/, dashboard/, backends/ (the memory default)
 *   testing/           anything in lib/
 *   entries            lib/index.ts (anything), lib/core/index.ts (never nest/ or testing/)
 *
 * Each rule names what a folder MAY import inside lib/ (pathNot), so a folder's import of a new
 * folder is refused until its rule admits it. Type-only imports count: the swc parser keeps `import type` (TypeScript 7 has no
 * compiler API for dependency-cruiser's tsc parser), and a type is a dependency of the design too.
 */
const layer = (name, comment, from, mayImport) => ({
  name,
  comment,
  severity: 'error',
  from: typeof from === 'string' ? { path: from } : from,
  to: { path: '^lib/', pathNot: mayImport },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files of lib/ that import each other in a loop, type-only imports included.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'lib-not-tests',
      comment: 'The library never imports its tests, benchmarks or the sample app.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(test|bench|sample-app)/' },
    },
    layer(
      'contract-is-ground-floor',
      'contract/ imports nothing in lib/ outside itself.',
      '^lib/contract/',
      '^lib/contract/',
    ),
    layer(
      'manager-below-nest',
      'manager/ (plain TypeScript, no Nest) imports only contract/ and itself.',
      '^lib/manager/',
      '^lib/(contract|manager)/',
    ),
    layer(
      'backends-shared-below-stores',
      'backends/shared/ imports only contract/ and itself.',
      '^lib/backends/shared/',
      '^lib/(contract|backends/shared)/',
    ),
    layer(
      'backend-own-folder',
      'A backend imports contract/, backends/shared/ and its own folder: never the manager, Nest, telemetry, the testing kit or another backend.',
      { path: '^lib/backends/([^/]+)/', pathNot: '^lib/backends/(shared|redlock)/' },
      '^lib/(contract|backends/shared|backends/$1)/',
    ),
    layer(
      'redlock-reuses-redis',
      'redlock/ imports what any backend may, and redis/ (its scripts and client types).',
      '^lib/backends/redlock/',
      '^lib/(contract|backends/(shared|redlock|redis))/',
    ),
    layer(
      'telemetry-above-manager',
      'telemetry/ imports only contract/, manager/ and itself.',
      '^lib/telemetry/',
      '^lib/(contract|manager|telemetry)/',
    ),
    layer(
      'nest-on-top',
      'nest/ imports contract/, manager/, telemetry/, dashboard/, backends/ and itself: never the testing kit or an entry.',
      '^lib/nest/',
      '^lib/(contract|manager|telemetry|dashboard|backends|nest)/',
    ),
    layer(
      'dashboard-above-manager',
      'dashboard/ (the lock dashboard without Nest) imports only contract/, manager/ and itself.',
      '^lib/dashboard/',
      '^lib/(contract|manager|dashboard)/',
    ),
    {
      name: 'core-entry-without-nest',
      comment:
        'lib/core/ (the Nest-free entry, nestjs-locker/core) reaches neither nest/ nor testing/, directly or through another file.',
      severity: 'error',
      from: { path: '^lib/core/' },
      to: { path: '^lib/(nest|testing)/', reachable: true },
    },
  ],
  options: {
    // TypeScript 7 (the project's compiler) has no JavaScript compiler API; swc parses TypeScript.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `.js` specifiers resolve to `.ts` (dependency-cruiser does what tsc does with NodeNext);
    // `.cts` is listed so that `./require-peer.cjs` finds `require-peer.cts`.
    enhancedResolveOptions: { extensions: ['.ts', '.cts', '.js', '.cjs', '.mjs', '.json'] },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|node_modules)/' },
  },
};
