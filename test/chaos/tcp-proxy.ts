import { connect, createServer, type Server, type Socket } from 'node:net';

type Mode = { kind: 'pass' } | { kind: 'stall' } | { kind: 'slow'; delayMs: number };

/**
 * A TCP proxy on 127.0.0.1 between clients and a server, controlled by the test: pass bytes
 * through, stall (hold every byte, both ways, while connections stay open, as a black-holed
 * network would), slow (delay every chunk), or cut every connection. Bytes held during a stall are
 * delivered in order when it ends.
 */
export class TcpProxy {
  #server: Server | undefined;
  #mode: Mode = { kind: 'pass' };
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; flush: () => void }>();

  constructor(private readonly targetPort: number) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.#accept(client));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  stall(): void {
    this.#mode = { kind: 'stall' };
  }

  slow(delayMs: number): void {
    this.#mode = { kind: 'slow', delayMs };
  }

  /** Back to passing bytes through; what a stall held is delivered now. */
  heal(): void {
    this.#mode = { kind: 'pass' };
    for (const pair of this.#pairs) pair.flush();
  }

  /** Resets every open connection (clients see ECONNRESET and reconnect through the proxy). */
  cut(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    const server = this.#server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  #accept(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    const held: { to: Socket; chunk: Buffer }[] = [];
    const pair = {
      client,
      upstream,
      flush: () => {
        for (const { to, chunk } of held.splice(0)) if (!to.destroyed) to.write(chunk);
      },
    };
    this.#pairs.add(pair);
    // Delayed chunks of one direction go out in order, also when the mode changes meanwhile.
    const forward = (to: Socket) => {
      let delayed = 0;
      let chain = Promise.resolve();
      return (chunk: Buffer) => {
        const mode = this.#mode;
        if (mode.kind === 'stall' || held.length > 0) {
          held.push({ to, chunk });
          if (mode.kind !== 'stall') pair.flush();
        } else if (mode.kind === 'slow' || delayed > 0) {
          delayed++;
          const delayMs = mode.kind === 'slow' ? mode.delayMs : 0;
          chain = chain
            .then(() => new Promise((resolve) => setTimeout(resolve, delayMs)))
            .then(() => {
              delayed--;
              if (!to.destroyed) to.write(chunk);
            });
        } else {
          to.write(chunk);
        }
      };
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const close = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  }
}
