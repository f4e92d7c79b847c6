import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  instrumentLockManager,
  Locked,
  LockManager,
  LockModule,
  LockNotAcquiredError,
  lockKeyPattern,
  MemoryLockBackend,
} from '../../../lib/index.js';
import { aborted } from '../../support/async.js';

/** A metric reader the test collects from by hand (the SDK's in-memory way to read instruments). */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const reader = new TestReader();
const spans = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  context.setGlobalContextManager(contextManager);
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }),
  );
});
afterAll(() => {
  metrics.disable();
  trace.disable();
  context.disable();
});

type Attributes = Record<string, unknown>;

/** Every data point of `name` whose attributes include `match`. */
async function points<T = number>(name: string, match: Attributes): Promise<DataPoint<T>[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<T>[])
    .filter((point) =>
      Object.entries(match).every(([key, value]) => point.attributes[key] === value),
    );
}

async function total(name: string, match: Attributes): Promise<number> {
  return (await points(name, match)).reduce((sum, point) => sum + point.value, 0);
}

describe('lockKeyPattern', () => {
  it('keeps the first segment of a key and stars the rest', () => {
    expect(['order:42', 'tenant/7/report', 'a,b', 'nightly'].map(lockKeyPattern)).toEqual([
      'order:*',
      'tenant:*',
      'a:*',
      '*',
    ]);
  });

  it('keeps the keys the module names from code whole: cron run locks and leader keys', () => {
    expect(
      ['cron:nightly-report', 'leader:scheduler', 'cron:job:1796'].map(lockKeyPattern),
    ).toEqual(['cron:nightly-report', 'leader:scheduler', 'cron:*']);
  });
});

describe('instrumentLockManager with the OpenTelemetry SDK (in-memory readers)', () => {
  const backend = new MemoryLockBackend();
  const locks = new LockManager({ backend });
  afterAll(() => locks.close());

  beforeAll(async () => {
    expect((await instrumentLockManager(locks)).active).toBe(true);
  });

  it('records the wait time of acquires in a histogram, by backend, key pattern and outcome', async () => {
    const held = await locks.acquire('order:1');
    await expect(locks.acquire('order:1', { wait: 100 })).rejects.toBeInstanceOf(
      LockNotAcquiredError,
    );
    await held.release();

    const labels = { 'locker.backend': 'memory', 'locker.key_pattern': 'order:*' };
    const [acquired] = await points<Histogram>('locker.lock.acquire.wait', {
      ...labels,
      'locker.outcome': 'acquired',
    });
    const [busy] = await points<Histogram>('locker.lock.acquire.wait', {
      ...labels,
      'locker.outcome': 'busy',
    });
    expect(acquired?.value.count).toBe(1);
    expect(busy?.value.count).toBe(1);
    // It waited its 100 ms before giving up (recorded in seconds).
    expect(busy?.value.sum).toBeGreaterThanOrEqual(0.09);
    expect((await points<Histogram>('locker.lock.hold', labels))[0]?.value.count).toBe(1);
    expect(await total('locker.lock.acquired', labels)).toBe(1);
    expect(await total('locker.lock.busy', labels)).toBe(1);
  });

  it('never labels with the raw key', async () => {
    const { resourceMetrics } = await reader.collect();
    const values = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[])
      .flatMap((point) => Object.values(point.attributes));
    expect(values).toContain('order:*');
    expect(values).not.toContain('order:1');
  });

  it('counts a lost lease with its reason', async () => {
    const lock = await locks.acquire('stock:9', { ttl: 600 });
    await backend.release('locker:stock:9', lock.owner);
    await aborted(lock.signal, 5_000);
    expect(
      await total('locker.lock.lost', {
        'locker.key_pattern': 'stock:*',
        'locker.lost_reason': 'not-held',
      }),
    ).toBe(1);
  });

  it('records a lock.acquire span as a child of the caller span', async () => {
    spans.reset();
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('request', async (request) => {
      await (await locks.acquire('invoice:3')).release();
      request.end();
    });
    const [acquire] = spans.getFinishedSpans().filter((span) => span.name === 'lock.acquire');
    const request = spans.getFinishedSpans().find((span) => span.name === 'request')!;
    expect(acquire?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(acquire?.attributes).toEqual(
      expect.objectContaining({
        'locker.backend': 'memory',
        'locker.key_pattern': 'invoice:*',
        'locker.outcome': 'acquired',
      }),
    );
  });
});

@Injectable()
class Payments {
  @Locked('payment:{0}')
  async pay(_id: string, gate?: Promise<void>) {
    await gate;
    return 'paid';
  }
}

async function appWith(telemetry: boolean): Promise<INestApplicationContext> {
  @Module({
    imports: [LockModule.forRoot({ backend: new MemoryLockBackend(), telemetry })],
    providers: [Payments],
  })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

describe('LockModule telemetry', () => {
  const apps: INestApplicationContext[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('wraps a @Locked() run in a lock.run span, parent of its acquire; a busy run is an error span', async () => {
    const app = await appWith(true);
    apps.push(app);
    spans.reset();
    const payments = app.get(Payments);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = payments.pay('7', gate);
    await expect(payments.pay('7')).rejects.toBeInstanceOf(LockNotAcquiredError);
    open();
    await first;

    const finished = spans.getFinishedSpans();
    const runs = finished.filter((span) => span.name === 'lock.run');
    expect(runs.map((span) => span.attributes['locker.method'])).toEqual([
      'Payments.pay',
      'Payments.pay',
    ]);
    const [busyRun, okRun] = [
      runs.find((span) => span.status.code === 2)!,
      runs.find((span) => span.status.code !== 2)!,
    ];
    const childOf = (run: ReadableSpan) =>
      finished.find(
        (span) =>
          span.name === 'lock.acquire' &&
          span.parentSpanContext?.spanId === run.spanContext().spanId,
      );
    expect(childOf(okRun)?.attributes['locker.outcome']).toBe('acquired');
    expect(childOf(busyRun)?.attributes['locker.outcome']).toBe('busy');
    expect(busyRun.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('records nothing with telemetry: false', async () => {
    const app = await appWith(false);
    apps.push(app);
    spans.reset();
    await app.get(Payments).pay('8');
    expect(spans.getFinishedSpans()).toEqual([]);
  });
});

// Last in this file: it replaces the global meter provider the suites above read from.
describe('instrumentLockManager before the OpenTelemetry SDK is started', () => {
  it('records into the meter provider registered afterwards', async () => {
    metrics.disable();
    const locks = new LockManager({ backend: new MemoryLockBackend() });
    try {
      expect((await instrumentLockManager(locks)).active).toBe(true);
      const late = new TestReader();
      metrics.setGlobalMeterProvider(new MeterProvider({ readers: [late] }));
      await (await locks.acquire('late:1')).release();
      const { resourceMetrics } = await late.collect();
      const acquired = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .filter((metric) => metric.descriptor.name === 'locker.lock.acquired')
        .flatMap((metric) => metric.dataPoints as DataPoint<number>[]);
      expect(
        acquired.map((point) => [point.attributes['locker.key_pattern'], point.value]),
      ).toEqual([['late:*', 1]]);
    } finally {
      await locks.close();
    }
  });
});
