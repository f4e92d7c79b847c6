import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { finalize, type Observable, Subject, takeUntil } from 'rxjs';

/** The connection of an event stream's request, as Node's `net.Socket` offers it. */
export interface StreamSocket {
  end(): unknown;
}

/**
 * Ends the dashboard's open event streams when the app shuts down. A server-sent event stream is
 * a response that never ends by itself, and the HTTP server's `close()` waits for every response
 * in progress: one dashboard left open in a browser would hold the app's shutdown until the
 * orchestrator kills it. Completing the streams in `onModuleDestroy` (before Nest closes the
 * server) ends each response; the browser reconnects to another instance.
 *
 * @example
 * ```ts
 * return this.streams.untilShutdown(dashboardEvents(this.dashboard));
 * ```
 */
@Injectable()
export class DashboardStreams implements OnModuleDestroy {
  readonly #shutdown = new Subject<void>();
  readonly #sockets = new Set<StreamSocket>();

  /**
   * `events`, completed when the app shuts down; `socket` (the request's connection) is then
   * closed once the response has ended, or the server's `close()` would wait for it to idle out
   * (the stream's response is sent with `Connection: keep-alive`).
   */
  untilShutdown<T>(events: Observable<T>, socket?: StreamSocket): Observable<T> {
    if (socket) this.#sockets.add(socket);
    return events.pipe(
      takeUntil(this.#shutdown),
      finalize(() => {
        if (socket) this.#sockets.delete(socket);
      }),
    );
  }

  async onModuleDestroy(): Promise<void> {
    const sockets = [...this.#sockets];
    this.#shutdown.next();
    this.#shutdown.complete();
    // The responses end on a later turn (Nest pipes the stream into them): close after that.
    await new Promise((resolve) => setImmediate(resolve));
    for (const socket of sockets) socket.end();
  }
}
