/**
 * The calls in flight on each client, so that they can be failed at once: `node-zookeeper-client`
 * fails the calls it sent when a session expires, never those it still queues.
 */
export class InFlightCalls<Client> {
  readonly #calls = new Map<Client, Set<(error: unknown) => void>>();

  /** `send`'s answer as a promise, tracked until it settles. */
  track<T>(client: Client, send: (done: (error: unknown, value: T) => void) => void): Promise<T> {
    let calls = this.#calls.get(client);
    if (!calls) {
      calls = new Set();
      this.#calls.set(client, calls);
    }
    const tracked = calls;
    return new Promise<T>((resolve, reject) => {
      tracked.add(reject);
      send((error, value) => {
        tracked.delete(reject);
        if (error) reject(error);
        else resolve(value);
      });
    });
  }

  /** The rejections of `client`'s calls still unanswered, which are no longer tracked. */
  takeAll(client: Client): ((error: unknown) => void)[] {
    const calls = this.#calls.get(client);
    this.#calls.delete(client);
    return [...(calls ?? [])];
  }
}
