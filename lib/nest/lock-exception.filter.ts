import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Injectable,
  Logger,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  LockBackendError,
  LockDeadlockError,
  LockLostError,
  LockManagerClosedError,
  LockNotAcquiredError,
} from '../contract/errors.js';
import { lockErrorResponse } from './lock-http-answer.js';

/**
 * Answers the lock errors that reach the HTTP layer, from wherever the lock was taken in the
 * request: a busy lock is 409 with `Retry-After` and a body with `errorCode` (see
 * {@link lockErrorResponse} for every case). `LockModule` registers it as a global filter unless
 * `exceptionFilter: false`; it only catches these four classes, so every other error goes on to
 * the app's filters and Nest's default handling. In a WebSocket gateway the client gets an
 * `exception` event with the same body; in other contexts (microservices, GraphQL) the error is
 * left to Nest unchanged.
 *
 * @example
 * ```ts
 * // With LockModule.forRoot({ ..., exceptionFilter: false }), on the routes of your choice:
 * @UseFilters(LockExceptionFilter)
 * @Controller('orders')
 * export class OrdersController {}
 * ```
 */
@Catch(
  LockNotAcquiredError,
  LockLostError,
  LockDeadlockError,
  LockManagerClosedError,
  LockBackendError,
)
@Injectable()
export class LockExceptionFilter implements ExceptionFilter {
  readonly #logger = new Logger('LockModule');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: Error, host: ArgumentsHost): unknown {
    const answer = lockErrorResponse(error);
    const type = host.getType();
    if (!answer || (type !== 'http' && type !== 'ws')) {
      // Microservices, GraphQL and other contexts: `undefined` tells Nest (11 and 12) that this
      // filter left the error alone, and its own handling goes on as if the filter were not there.
      return undefined;
    }
    if (answer.status >= 500) this.#logger.error(error.message, error.stack);
    if (type === 'ws') {
      // What a gateway's client gets for a WsException: an `exception` event.
      const client = host
        .switchToWs()
        .getClient<{ emit?: (event: string, data: unknown) => void }>();
      client.emit?.('exception', { status: 'error', ...answer.body });
      return undefined;
    }
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse<unknown>();
    if (adapter.isHeadersSent(response)) return adapter.end(response);
    for (const [name, value] of Object.entries(answer.headers)) {
      adapter.setHeader(response, name, value);
    }
    return adapter.reply(response, answer.body, answer.status);
  }
}
