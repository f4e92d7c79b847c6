import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Span,
  Tracer,
} from '@opentelemetry/api';
import type { LockManager } from '../manager/lock-manager.js';
import type { OtelApiModule } from './load-otel-api.js';
import type { LockTelemetryOptions } from './lock-telemetry.options.js';
import type { Instruments, RunInSpan } from './lock-telemetry.registry.js';

/** The instrumentation scope name, for meters and tracers. */
export const INSTRUMENTATION_NAME = 'nestjs-locker';

/** `SpanStatusCode.ERROR`: a constant of the API's wire format, not on its CommonJS default. */
const SPAN_STATUS_ERROR = 2;

/** Seconds: short waits and holds are the common case, a long tail is what an alert looks for. */
const BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Subscribes metrics and spans to the manager's events. */
export function instrumentManager(
  api: OtelApiModule,
  manager: LockManager,
  options: Required<LockTelemetryOptions>,
): Instruments {
  const backend = manager.backend.name;
  const labels = (key: string): Attributes => ({
    'locker.backend': backend,
    'locker.key_pattern': options.keyPattern(key),
  });
  const unsubscribe: (() => void)[] = [];

  if (options.metrics) {
    // Taken from the provider registered now, and again whenever another one is registered: an
    // SDK started after the module (by another module's init, say) still gets the locks' metrics,
    // where a meter taken once, before it, would stay a no-op.
    // While no SDK is registered the meter is the API's no-op one: then nothing is recorded and
    // no attributes are built (an acquire's labels cost more than the no-op calls themselves).
    let provider: MeterProvider | undefined;
    let instruments: MetricInstruments | undefined;
    const current = (): MetricInstruments | undefined => {
      const registered = api.metrics.getMeterProvider();
      if (registered !== provider) {
        provider = registered;
        const meter = registered.getMeter(INSTRUMENTATION_NAME);
        // The API's no-op meter is one object, which `createNoopMeter` returns.
        const noop = api.createNoopMeter !== undefined && meter === api.createNoopMeter();
        instruments = noop ? undefined : metricInstruments(meter);
      }
      return instruments;
    };
    current();
    unsubscribe.push(
      manager.on('acquired', ({ key, waitedMs }) => {
        const metrics = current();
        if (!metrics) return;
        const attributes = labels(key);
        metrics.acquired.add(1, attributes);
        metrics.wait.record(waitedMs / 1_000, { ...attributes, 'locker.outcome': 'acquired' });
      }),
      manager.on('busy', ({ key, waitedMs }) => {
        const metrics = current();
        if (!metrics) return;
        const attributes = labels(key);
        metrics.busy.add(1, attributes);
        metrics.wait.record(waitedMs / 1_000, { ...attributes, 'locker.outcome': 'busy' });
      }),
      manager.on('released', ({ key, heldMs }) =>
        current()?.hold.record(heldMs / 1_000, labels(key)),
      ),
      manager.on('lost', ({ key, heldMs, error }) => {
        const metrics = current();
        if (!metrics) return;
        const attributes = labels(key);
        metrics.hold.record(heldMs / 1_000, attributes);
        metrics.lost.add(1, { ...attributes, 'locker.lost_reason': error.reason });
      }),
      manager.on('renewalFailed', ({ keys }) => {
        const metrics = current();
        if (!metrics) return;
        for (const key of keys) metrics.renewalFailures.add(1, labels(key));
      }),
    );
  }

  let runInSpan: RunInSpan | undefined;
  if (options.traces) {
    const tracer = api.trace.getTracer(INSTRUMENTATION_NAME);
    const tracing = (): boolean => tracerRegistered(api);
    // The acquire is over when its event fires: its span is recorded then, from when it began.
    // It is started in the caller's context, so a `@Locked()` run's span is its parent.
    const acquireSpan = (key: string, waitedMs: number, attributes: Attributes) => {
      if (!tracing()) return;
      const endedAt = Date.now();
      tracer
        .startSpan('lock.acquire', {
          startTime: endedAt - waitedMs,
          attributes: { ...labels(key), ...attributes },
        })
        .end(endedAt);
    };
    unsubscribe.push(
      manager.on('acquired', ({ key, waitedMs, fencingToken }) =>
        acquireSpan(key, waitedMs, {
          'locker.outcome': 'acquired',
          'locker.fencing_token': fencingToken.toString(),
        }),
      ),
      manager.on('busy', ({ key, waitedMs }) =>
        acquireSpan(key, waitedMs, { 'locker.outcome': 'busy' }),
      ),
    );
    runInSpan = (name, attributes, fn) =>
      tracing() ? runSpan(tracer, name, { 'locker.backend': backend, ...attributes }, fn) : fn();
  }

  return {
    runInSpan,
    stop: () => {
      for (const off of unsubscribe) off();
    },
  };
}

/**
 * Whether a tracer provider is registered: until an SDK registers one, the API's global provider
 * is a proxy without a delegate, whose spans record nothing and carry no trace, so starting them
 * (and running the `@Locked()` method in their context) would be work for nothing.
 */
function tracerRegistered(api: OtelApiModule): boolean {
  const provider = api.trace.getTracerProvider() as {
    getDelegateTracer?: (name: string) => Tracer | undefined;
  };
  return (
    typeof provider.getDelegateTracer !== 'function' ||
    provider.getDelegateTracer(INSTRUMENTATION_NAME) !== undefined
  );
}

function runSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span: Span) => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Error) span.recordException(error);
      span.setStatus({
        code: SPAN_STATUS_ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}

interface MetricInstruments {
  readonly wait: Histogram;
  readonly hold: Histogram;
  readonly acquired: Counter;
  readonly busy: Counter;
  readonly lost: Counter;
  readonly renewalFailures: Counter;
}

function metricInstruments(meter: Meter): MetricInstruments {
  const advice = { explicitBucketBoundaries: BUCKETS_S };
  return {
    wait: meter.createHistogram('locker.lock.acquire.wait', {
      unit: 's',
      description: 'How long acquires took, waiting included; outcome acquired or busy',
      advice,
    }),
    hold: meter.createHistogram('locker.lock.hold', {
      unit: 's',
      description: 'How long locks were held until released or lost',
      advice,
    }),
    acquired: meter.createCounter('locker.lock.acquired', { description: 'Locks acquired' }),
    busy: meter.createCounter('locker.lock.busy', {
      description: 'Acquires that gave up because another owner held the key',
    }),
    lost: meter.createCounter('locker.lock.lost', {
      description: 'Leases this process held and lost (expired unrenewed, or taken over)',
    }),
    renewalFailures: meter.createCounter('locker.lock.renewal.failures', {
      description: 'Leases whose renewal round failed (retried until their deadline)',
    }),
  };
}
