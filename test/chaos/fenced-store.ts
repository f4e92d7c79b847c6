import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The last accepted write of a key. */
export interface LastWrite {
  readonly worker: number;
  readonly token: bigint;
}

/**
 * The fenced resource of the chaos runs: a small HTTP store on 127.0.0.1 that accepts a write of a
 * key only if its fencing token is at least the highest it has accepted for that key, and answers
 * 409 to a stale one, as a database with `WHERE fence <= $token` would. It runs in the test
 * process, so it is the referee: workers cannot lie to it.
 *
 * `POST /write?key=K&token=T&worker=W` → 200 `ok` or 409 `stale`.
 */
export class FencedStore {
  readonly #highest = new Map<string, bigint>();
  readonly #last = new Map<string, LastWrite>();
  readonly #writers = new Set<number>();
  #server: Server | undefined;
  accepted = 0;
  rejected = 0;

  async start(): Promise<string> {
    const server = createServer((request, response) => this.#handle(request, response));
    server.keepAliveTimeout = 60_000;
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Resolves once `workers` different workers have written (rejects after `limitMs`). */
  async whenWritten(workers: number, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (this.#writers.size < workers) {
      if (Date.now() > deadline) {
        throw new Error(
          `only ${this.#writers.size} of ${workers} workers wrote within ${limitMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Who wrote `key` last: the worker a fault should hit to catch a holder mid-section. */
  lastWriter(key: string): LastWrite | undefined {
    return this.#last.get(key);
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://store');
    const key = url.searchParams.get('key');
    const token = url.searchParams.get('token');
    const worker = Number(url.searchParams.get('worker'));
    request.resume();
    if (request.method !== 'POST' || url.pathname !== '/write' || !key || !token) {
      response.writeHead(400).end('bad request');
      return;
    }
    this.#writers.add(worker);
    const fence = BigInt(token);
    const highest = this.#highest.get(key);
    if (highest !== undefined && fence < highest) {
      this.rejected++;
      response.writeHead(409).end('stale');
      return;
    }
    this.#highest.set(key, fence);
    this.#last.set(key, { worker, token: fence });
    this.accepted++;
    response.writeHead(200).end('ok');
  }
}
