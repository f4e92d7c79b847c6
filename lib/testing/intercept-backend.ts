import { CAPABILITIES, type Capability } from '../contract/capabilities.js';
import type { LockBackend } from '../contract/lock-backend.js';

/** One call a wrapped backend is about to make. */
export interface BackendCall {
  /** The capability the method belongs to; `undefined` for the mutex core. */
  readonly capability: Capability | undefined;
  /** The method: `acquire`, `extend`, `release`, `inspect`, `subscribe`, `close` ... */
  readonly method: string;
  /** The key the call is about (the first of several), when it names one. */
  readonly key: string | undefined;
  readonly args: readonly unknown[];
}

/** Decides around one call: return `proceed()` to make it, or answer it some other way. */
export type AroundBackendCall = (
  call: BackendCall,
  proceed: () => Promise<unknown>,
) => Promise<unknown>;

const CORE_METHODS = ['acquire', 'extend', 'release', 'inspect', 'subscribe', 'close'] as const;

/**
 * A view of `backend` whose every asynchronous call, of the mutex and of each capability it
 * exposes, goes through `around`: to count calls, to fail them as a partition would, or to keep a
 * shared backend open when a view is closed. `name`, `sessionLeases`, `partitionOf`,
 * `subscribed` and `onLeasesLost` pass straight through.
 *
 * @example
 * ```ts
 * let attempts = 0;
 * const counted = interceptBackend(backend, (call, proceed) => {
 *   if (call.method === 'acquire') attempts++;
 *   return proceed();
 * });
 * ```
 */
export function interceptBackend(backend: LockBackend, around: AroundBackendCall): LockBackend {
  const view: Record<string, unknown> = { name: backend.name };
  const target = backend as unknown as Record<string, unknown>;
  for (const method of CORE_METHODS) {
    if (typeof target[method] === 'function') {
      view[method] = wrapMethod(target, method, undefined, around);
    }
  }
  if (backend.subscribed) view.subscribed = (key: string) => backend.subscribed!(key);
  if (backend.partitionOf) view.partitionOf = (key: string) => backend.partitionOf!(key);
  if (backend.sessionLeases) view.sessionLeases = true;
  if (backend.onLeasesLost) {
    view.onLeasesLost = (listener: Parameters<NonNullable<LockBackend['onLeasesLost']>>[0]) =>
      backend.onLeasesLost!(listener);
  }
  if (backend.effectiveTtlMs) {
    view.effectiveTtlMs = (ttlMs: number) => backend.effectiveTtlMs!(ttlMs);
  }
  // Read through, not copied: a ZooKeeper backend learns its limit when its session is set up.
  if (backend.maxTtlMs !== undefined) {
    Object.defineProperty(view, 'maxTtlMs', { get: () => backend.maxTtlMs, enumerable: true });
  }
  for (const capability of CAPABILITIES) {
    const offered = backend[capability] as unknown as Record<string, unknown> | undefined;
    if (!offered) continue;
    const wrapped: Record<string, unknown> = {};
    for (const method of methodNames(offered)) {
      wrapped[method] = wrapMethod(offered, method, capability, around);
    }
    view[capability] = wrapped;
  }
  return view as unknown as LockBackend;
}

function wrapMethod(
  target: Record<string, unknown>,
  method: string,
  capability: Capability | undefined,
  around: AroundBackendCall,
): (...args: unknown[]) => Promise<unknown> {
  return (...args) => {
    const first = args[0];
    const key =
      typeof first === 'string'
        ? first
        : Array.isArray(first) && typeof first[0] === 'string'
          ? first[0]
          : undefined;
    return around({ capability, method, key, args }, async () =>
      (target[method] as (...args: unknown[]) => Promise<unknown>).apply(target, args),
    );
  };
}

/** The function-valued properties of `object`, its own and its classes'. */
function methodNames(object: object): string[] {
  const names = new Set<string>();
  for (let proto: object | null = object; proto && proto !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (
        name !== 'constructor' &&
        typeof (object as Record<string, unknown>)[name] === 'function'
      ) {
        names.add(name);
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return [...names];
}
