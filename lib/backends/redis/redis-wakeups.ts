import type { Handoff, Unsubscribe } from '../lock-backend.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { RedisSubscriberLike } from './redis-client.js';
import { parseHandoff } from './redis-handoff.js';

interface Channel {
  readonly listeners: Set<(handoff?: Handoff) => void>;
  /** Resolves once Redis confirmed the SUBSCRIBE. */
  readonly ready: Promise<unknown>;
}

/**
 * Release notifications over one dedicated subscriber connection, opened on first use. Each lock key
 * with local waiters is one channel, subscribed once however many waiters share it and unsubscribed
 * when the last one leaves. ioredis re-subscribes by itself after a reconnect; a notification lost
 * meanwhile only delays a waiter until its fallback re-check.
 */
export class RedisWakeups {
  #subscriber: RedisSubscriberLike | undefined;
  readonly #channels = new Map<string, Channel>();

  constructor(private readonly open: () => RedisSubscriberLike) {}

  async subscribe(
    channel: string,
    listener: (handoff?: Handoff) => void,
    timeoutMs: number | undefined,
  ): Promise<Unsubscribe> {
    const subscriber = this.#connection();
    let entry = this.#channels.get(channel);
    if (!entry) {
      const ready = subscriber.subscribe(channel);
      entry = { listeners: new Set(), ready };
      this.#channels.set(channel, entry);
      // A failed SUBSCRIBE must not stay cached for the next waiter.
      ready.catch(() => {
        if (this.#channels.get(channel) === entry) this.#channels.delete(channel);
      });
    }
    const current = entry;
    current.listeners.add(listener);
    const unsubscribe = (): void => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (this.#channels.get(channel) !== current) return;
      this.#channels.delete(channel);
      subscriber.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await (timeoutMs === undefined ? current.ready : withTimeout(current.ready, timeoutMs));
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#channels.clear();
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  #connection(): RedisSubscriberLike {
    if (!this.#subscriber) {
      const subscriber = this.open();
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel, message) => {
        const entry = this.#channels.get(channel);
        if (!entry) return;
        const handoff = parseHandoff(message);
        for (const wake of entry.listeners) wake(handoff);
      });
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }
}
