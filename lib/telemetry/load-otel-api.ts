import type * as OtelApi from '@opentelemetry/api';

/** The parts of `@opentelemetry/api` the instruments use. */
export type OtelApiModule = Pick<typeof OtelApi, 'metrics' | 'trace'> &
  Partial<Pick<typeof OtelApi, 'createNoopMeter'>>;

/**
 * Loads `@opentelemetry/api`, an optional peer dependency: `undefined` when it is not installed.
 * A dynamic `import()`, which works the same from an ES module build and a CommonJS one (where the
 * compiler turns it into a `require`); an API published as CommonJS only comes back under
 * `default`.
 */
export async function loadOtelApi(): Promise<OtelApiModule | undefined> {
  try {
    const loaded = (await import('@opentelemetry/api')) as unknown as OtelApiModule & {
      default?: OtelApiModule;
    };
    return loaded.metrics ? loaded : loaded.default;
  } catch {
    return undefined;
  }
}
