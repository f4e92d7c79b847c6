import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  HttpException,
  type INestApplication,
  Injectable,
  type LoggerService,
  Module,
  Param,
  Post,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  type LockBackend,
  Locked,
  LockModule,
  LockNotAcquiredError,
  LockService,
  MemoryLockBackend,
  PostgresLockBackend,
  RedisLockBackend,
} from '../../../lib/index.js';
import { uniqueId } from '../../support/async.js';
import { PG_URL, REDIS_URL } from '../../support/servers.js';

/** Holds every request that got the lock until the test opens the gate. */
class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  open(): void {
    this.#open();
  }
}
let gate = new Gate();

@Injectable()
class Stock {
  @Locked('sku:{0}', { ttl: 5_000 })
  async reserve(sku: string) {
    await gate.opened;
    return { reserved: sku };
  }
}

@Injectable()
class Orders {
  constructor(
    private readonly stock: Stock,
    private readonly locks: LockService,
  ) {}

  /** A service-level lock around a nested service-level lock. */
  @Locked('order:{0}', { ttl: 5_000 })
  async pay(id: string) {
    return this.stock.reserve(`for-${id}`);
  }

  /** The same nested lock, reached with a different outer key per order. */
  // The outer key comes from the first argument through the template; the body needs only the sku.
  @Locked('order:{0}', { ttl: 5_000 })
  async payFrom(_id: string, sku: string) {
    return this.stock.reserve(sku);
  }

  refund(id: string) {
    return this.locks.using(`refund:${id}`, () => gate.opened.then(() => ({ refunded: id })), {
      ttl: 5_000,
    });
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: Orders) {}

  @Post(':id/pay')
  pay(@Param('id') id: string) {
    return this.orders.pay(id);
  }

  @Post(':id/refund')
  refund(@Param('id') id: string) {
    return this.orders.refund(id);
  }

  @Post(':id/pay-from/:sku')
  payFrom(@Param('id') id: string, @Param('sku') sku: string) {
    return this.orders.payFrom(id, sku);
  }

  @Post('crash')
  crash() {
    throw new TypeError('not a lock error');
  }
}

type Platform = 'express' | 'fastify';

async function startApp(
  platform: Platform,
  backend: LockBackend,
  keyPrefix: string,
  options: {
    exceptionFilter?: boolean;
    appFilter?: ExceptionFilter;
    appFilterOf?: (adapterHost: HttpAdapterHost) => ExceptionFilter;
    logger?: LoggerService;
  } = {},
): Promise<INestApplication> {
  const logger = options.logger ?? false;
  @Module({
    imports: [LockModule.forRoot({ backend, keyPrefix, exceptionFilter: options.exceptionFilter })],
    controllers: [OrdersController],
    providers: [Orders, Stock],
  })
  class AppModule {}
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger, abortOnError: false })
      : await NestFactory.create(AppModule, { logger, abortOnError: false });
  if (options.appFilter) app.useGlobalFilters(options.appFilter);
  if (options.appFilterOf) app.useGlobalFilters(options.appFilterOf(app.get(HttpAdapterHost)));
  await app.listen(0, '127.0.0.1');
  return app;
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { statusCode?: number; errorCode?: string; message?: string };
}

async function post(url: string): Promise<Answer> {
  const response = await fetch(url, { method: 'POST' });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Answer['body'],
  };
}

/**
 * Sends `count` concurrent requests spread over `urls`; the one that gets the lock is held at the
 * gate until every other one has been answered, so the outcome does not depend on timing.
 */
async function concurrent(urls: string[], path: string, count: number): Promise<Answer[]> {
  gate = new Gate();
  const answers: Answer[] = [];
  const pending = Array.from({ length: count }, (_, i) =>
    post(`${urls[i % urls.length]}${path}`).then((answer) => {
      answers.push(answer);
      if (answers.length === count - 1) gate.open();
      return answer;
    }),
  );
  return Promise.all(pending);
}

function expectOneThroughAndTheRestBusy(answers: Answer[], key: string) {
  const ok = answers.filter((answer) => answer.status === 201);
  const busy = answers.filter((answer) => answer.status === 409);
  expect([ok.length, busy.length]).toEqual([1, answers.length - 1]);
  for (const answer of busy) {
    // The holder's lease (ttl 5 s, renewed at a third of it) has 3.3 to 5 s left, rounded up to
    // whole seconds: never the 1 of a miss that could not see the holder.
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(2);
    expect(Number(answer.retryAfter)).toBeLessThanOrEqual(5);
    expect(answer.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      errorCode: 'LOCK_NOT_ACQUIRED',
      message: expect.stringContaining(key),
    });
  }
}

const stores: { name: string; open: () => LockBackend }[] = [
  { name: 'Redis', open: () => new RedisLockBackend({ url: REDIS_URL, onWarning: false }) },
  { name: 'Postgres', open: () => new PostgresLockBackend({ connectionString: PG_URL }) },
];

for (const platform of ['express', 'fastify'] as const) {
  for (const store of stores) {
    describe(`A busy lock over HTTP (${platform}, ${store.name}, two instances)`, () => {
      const apps: INestApplication[] = [];
      let urls: string[];

      beforeAll(async () => {
        const keyPrefix = `http-errors:${uniqueId()}:`;
        apps.push(
          await startApp(platform, store.open(), keyPrefix),
          await startApp(platform, store.open(), keyPrefix),
        );
        urls = await Promise.all(apps.map((app) => app.getUrl()));
      });
      afterAll(async () => {
        gate.open();
        await Promise.all(apps.map((app) => app.close()));
      });

      it('answers 1 × 201 and 9 × 409 to 10 requests when @Locked sits on a service method', async () => {
        expectOneThroughAndTheRestBusy(await concurrent(urls, '/orders/42/pay', 10), 'order:42');
      });

      it('answers 409 the same way when the busy lock is a nested call two services down', async () => {
        gate = new Gate();
        const answers: Answer[] = [];
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            post(`${urls[i % 2]}/orders/${100 + i}/pay-from/shared`).then((answer) => {
              answers.push(answer);
              if (answers.length === 9) gate.open();
            }),
          ),
        );
        expectOneThroughAndTheRestBusy(answers, 'sku:shared');
      });

      it('answers 409 the same way for LockService.using() in a service', async () => {
        expectOneThroughAndTheRestBusy(await concurrent(urls, '/orders/7/refund', 10), 'refund:7');
      });

      it('leaves other errors to Nest: 500 without errorCode', async () => {
        const answer = await post(`${urls[0]}/orders/crash`);
        expect(answer.status).toBe(500);
        expect(answer.body.errorCode).toBeUndefined();
      });
    });
  }
}

/** A store that is down: every call fails. */
function downBackend(): LockBackend {
  const memory = new MemoryLockBackend();
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:6379'));
  return {
    name: 'down',
    acquire: fail,
    extend: fail,
    release: fail,
    inspect: fail,
    close: () => memory.close(),
  };
}

describe('Lock errors over HTTP, composed with the app', () => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    gate.open();
    await Promise.all(apps.map((app) => app.close()));
  });

  it('logs nothing for a busy lock (no error stack per refused request)', async () => {
    const errors: unknown[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => errors.push(message),
    };
    const app = await startApp('express', new MemoryLockBackend(), 'quiet:', { logger });
    apps.push(app);
    const answers = await concurrent([await app.getUrl()], '/orders/11/pay', 4);
    expectOneThroughAndTheRestBusy(answers, 'order:11');
    expect(errors).toEqual([]);
  });

  it('answers a store failure with 503 and a message that does not name the store', async () => {
    const app = await startApp('express', downBackend(), 'down:');
    apps.push(app);
    const answer = await post(`${await app.getUrl()}/orders/1/pay`);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      errorCode: 'LOCK_BACKEND_ERROR',
      message: 'The lock store is unavailable',
    });
  });

  it("lets the app's own HttpException filter shape lock errors too, keeping 409 and Retry-After", async () => {
    @Catch(HttpException)
    class ShapingFilter implements ExceptionFilter {
      catch(error: HttpException, host: ArgumentsHost) {
        const body = error.getResponse() as object;
        host
          .switchToHttp()
          .getResponse()
          .status(error.getStatus())
          .json({ ...body, shapedByTheApp: true });
      }
    }
    const backend = new MemoryLockBackend();
    const app = await startApp('express', backend, 'composed:', { appFilter: new ShapingFilter() });
    apps.push(app);
    const answers = await concurrent([await app.getUrl()], '/orders/9/pay', 3);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409]);
    for (const answer of answers.filter(({ status }) => status === 409)) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(2);
      expect(answer.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        errorCode: 'LOCK_NOT_ACQUIRED',
        message: expect.stringContaining('order:9'),
        shapedByTheApp: true,
      });
    }
  });

  for (const platform of ['express', 'fastify'] as const) {
    it(`answers 409 through an app's catch-all filter that maps HttpException to its status (${platform})`, async () => {
      const seen: unknown[] = [];
      // The catch-all of Nest's docs: HttpException's status, 500 for anything else.
      @Catch()
      class CatchAll implements ExceptionFilter {
        constructor(private readonly adapterHost: HttpAdapterHost) {}
        catch(error: unknown, host: ArgumentsHost) {
          seen.push(error);
          const status = error instanceof HttpException ? error.getStatus() : 500;
          const body = error instanceof HttpException ? error.getResponse() : { statusCode: 500 };
          const { httpAdapter } = this.adapterHost;
          httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
        }
      }
      const app = await startApp(platform, new MemoryLockBackend(), `catch-all-${platform}:`, {
        appFilterOf: (adapterHost) => new CatchAll(adapterHost),
      });
      apps.push(app);
      const url = await app.getUrl();
      expectOneThroughAndTheRestBusy(await concurrent([url], '/orders/3/pay', 3), 'order:3');
      expectOneThroughAndTheRestBusy(await concurrent([url], '/orders/4/refund', 3), 'refund:4');
      expect(seen).toHaveLength(4);
      for (const error of seen) {
        expect(error).toBeInstanceOf(HttpException);
        expect((error as HttpException).cause).toBeInstanceOf(LockNotAcquiredError);
      }
    });
  }

  it('with exceptionFilter: false, leaves lock errors to the app (Nest answers 500)', async () => {
    const app = await startApp('express', new MemoryLockBackend(), 'no-filter:', {
      exceptionFilter: false,
    });
    apps.push(app);
    const answers = await concurrent([await app.getUrl()], '/orders/5/pay', 2);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 500]);
  });
});
