import { randomBytes } from 'node:crypto';
import type { Handoff, Unsubscribe } from '../../contract/lock-backend.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { RedisSubscriberLike } from './redis-client.js';
import { parseHandoff, parseInboxMessage } from './redis-handoff.js';
import { type SleeperArgument, WAKE_PREFIX } from './scripts/wake-one.lua.js';

interface Channel {
  readonly listeners: Set<(handoff?: Handoff) => void>;
  /** Resolves once Redis confirmed the SUBSCRIBE. */
  readonly ready: Promise<unknown>;
  /** `ready` resolved: subscribing again needs no round trip. */
  confirmed: boolean;
  /** Since when (ms, `performance.now()`) the channel has had no listener; `undefined` while used. */
  idleSince: number | undefined;
  /** A wake-up for this process alone arrived, and no attempt on the lock has been made since. */
  woken: boolean;
}

/**
 * A channel without listeners stays subscribed this long, so a process that waits on the same key
 * again and again (a busy key) does not pay a SUBSCRIBE round trip for every wait.
 */
const LINGER_MS = 1_000;

/**
 * Release notifications over one dedicated subscriber connection, opened on first use. Each lock key
 * with local waiters is one channel, subscribed once however many waiters share it, and unsubscribed
 * about a second after the last one left. ioredis re-subscribes by itself after a reconnect; a
 * notification lost meanwhile only delays a waiter until its fallback re-check.
 *
 * Fair hand-offs come through this connection's own **inbox** channel: a fair waiter names it in its
 * ticket, and the release that hands it the lease publishes there, so only this process hears it
 * instead of every process waiting on the key. Plain waiters use the inbox too: a missed attempt
 * made while a local waiter listens registers the process as a sleeper on the lock
 * ({@link sleeper}), and a plain release wakes one registered process (`wake:<channel>` on its
 * inbox) rather than all of them. A wake-up for a lock nobody here waits on any more is passed on
 * (`passOn`), so that the next registered process wakes instead.
 */
export class RedisWakeups {
  #subscriber: RedisSubscriberLike | undefined;
  readonly #channels = new Map<string, Channel>();
  /** This connection's inbox channel (random), subscribed on first fair wait. */
  readonly #inbox = `nestjs-locker:inbox:${randomBytes(16).toString('hex')}`;
  #inboxReady: Promise<string> | undefined;
  /** The inbox once Redis confirmed its subscription, `''` before. */
  #inboxConfirmed = '';
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /**
   * @param open opens the subscriber connection (on first use).
   * @param passOn wakes the next sleeper of a lock whose wake-up reached this process after its
   *   waiters left (given the lock's release channel and this process's inbox); without it, such
   *   a wake-up is dropped and the other sleepers wake at their next re-check.
   */
  constructor(
    private readonly open: () => RedisSubscriberLike,
    private readonly passOn?: (channel: string, inbox: string) => void,
  ) {}

  /** Whether any channel is subscribed: without one, no local waiter listens on any lock. */
  get listening(): boolean {
    return this.#channels.size > 0;
  }

  /**
   * Whether a local waiter listens on the lock of `channel`, or did within the last second or so
   * (its channel is still subscribed): then others may well wait on it too.
   */
  watches(channel: string): boolean {
    return this.#channels.has(channel);
  }

  /**
   * Whether the lock of `channel` can be listened to at once: its channel (and the inbox) are
   * subscribed and confirmed, so {@link subscribe} resolves without a round trip.
   */
  subscribed(channel: string): boolean {
    return this.#channels.get(channel)?.confirmed === true && this.#inboxConfirmed !== '';
  }

  /**
   * The sleeper argument an acquire attempt on the lock of `channel` passes to the store (see
   * `SleeperArgument`): `undefined` while the channel is not subscribed (no local waiter listens
   * on the lock, nor did lately); `''` while no local waiter listens on it or the inbox is not
   * subscribed; `!<inbox>` for the first attempt after a wake-up for this process alone; else
   * `+<inbox>`.
   */
  sleeper(channel: string): SleeperArgument | undefined {
    const entry = this.#channels.get(channel);
    if (!entry) return undefined;
    const inbox = this.#inboxConfirmed;
    if (entry.listeners.size === 0 || inbox === '') return '';
    if (!entry.woken) return `+${inbox}`;
    entry.woken = false;
    return `!${inbox}`;
  }

  /**
   * Wakes this process's own waiters on the lock of `channel`, after this process released it: the
   * store wakes one other process, and these need no registration to hear of it.
   */
  wakeLocal(channel: string): void {
    this.#deliver(channel, undefined);
  }

  async subscribe(
    channel: string,
    listener: (handoff?: Handoff) => void,
    timeoutMs: number | undefined,
  ): Promise<Unsubscribe> {
    const subscriber = this.#connection();
    let entry = this.#channels.get(channel);
    if (!entry) {
      const ready = subscriber.subscribe(channel);
      const created: Channel = {
        listeners: new Set(),
        ready,
        idleSince: undefined,
        woken: false,
        confirmed: false,
      };
      entry = created;
      this.#channels.set(channel, created);
      ready.then(
        () => {
          created.confirmed = true;
        },
        // A failed SUBSCRIBE must not stay cached for the next waiter.
        () => {
          if (this.#channels.get(channel) === created) this.#channels.delete(channel);
        },
      );
    }
    const current = entry;
    current.idleSince = undefined;
    current.listeners.add(listener);
    const unsubscribe = (): void => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (this.#channels.get(channel) !== current) return;
      current.idleSince = performance.now();
      this.#sweepLater();
    };
    // A lingering channel and the inbox are confirmed already: nothing to wait for.
    if (current.confirmed && this.#inboxConfirmed !== '') return unsubscribe;
    // The inbox as well, so that the waiter's next attempt registers the process as a sleeper
    // (once per connection; a failed inbox only means waking with everyone on the channel).
    const ready = Promise.all([current.ready, this.inbox(timeoutMs)]);
    try {
      await (timeoutMs === undefined ? ready : withTimeout(ready, timeoutMs));
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  /**
   * The inbox channel for fair hand-offs to this process, once Redis confirmed the subscription;
   * `''` when it cannot be subscribed (hand-offs then go out on the key's channel).
   */
  inbox(timeoutMs: number | undefined): Promise<string> {
    if (!this.#inboxReady) {
      const ready = this.#connection()
        .subscribe(this.#inbox)
        .then(() => {
          this.#inboxConfirmed = this.#inbox;
          return this.#inbox;
        });
      const bounded = timeoutMs === undefined ? ready : withTimeout(ready, timeoutMs);
      this.#inboxReady = bounded.catch(() => {
        this.#inboxReady = undefined;
        return '';
      });
    }
    return this.#inboxReady;
  }

  /** Drops every subscription and closes the connection, waiting at most `timeoutMs` for it. */
  async close(timeoutMs?: number): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#inboxReady = undefined;
    this.#inboxConfirmed = '';
    this.#channels.clear();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    if (!subscriber) return;
    const quit = subscriber.quit();
    await (timeoutMs === undefined ? quit : withTimeout(quit, timeoutMs)).catch(() =>
      subscriber.disconnect(),
    );
  }

  /** Unsubscribes, in one sweep a second, the channels idle for a second or more. */
  #sweepLater(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(() => {
      const subscriber = this.#subscriber;
      const now = performance.now();
      let idle = 0;
      for (const [channel, entry] of this.#channels) {
        if (entry.idleSince === undefined) continue;
        if (now - entry.idleSince < LINGER_MS) {
          idle++;
          continue;
        }
        this.#channels.delete(channel);
        subscriber?.unsubscribe(channel).catch(() => undefined);
      }
      if (idle === 0) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
      }
    }, LINGER_MS);
    this.#sweeper.unref?.();
  }

  #connection(): RedisSubscriberLike {
    if (!this.#subscriber) {
      const subscriber = this.open();
      subscriber.on('error', () => undefined);
      subscriber.on('message', (channel, message) => {
        if (channel === this.#inbox) {
          if (message.startsWith(WAKE_PREFIX)) {
            this.#wakeOne(message.slice(WAKE_PREFIX.length));
            return;
          }
          const delivery = parseInboxMessage(message);
          if (delivery) this.#deliver(delivery.channel, delivery.handoff);
          return;
        }
        this.#deliver(channel, parseHandoff(message));
      });
      this.#subscriber = subscriber;
    }
    return this.#subscriber;
  }

  /** A wake-up sent to this process alone: its waiters on the lock try, or the next sleeper does. */
  #wakeOne(channel: string): void {
    const entry = this.#channels.get(channel);
    if (entry && entry.listeners.size > 0) {
      entry.woken = true;
      for (const wake of entry.listeners) wake();
      return;
    }
    this.passOn?.(channel, this.#inbox);
  }

  #deliver(channel: string, handoff: Handoff | undefined): void {
    const entry = this.#channels.get(channel);
    if (entry) for (const wake of entry.listeners) wake(handoff);
  }
}
