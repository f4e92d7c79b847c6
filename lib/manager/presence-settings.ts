import { InvalidLockOptionsError } from '../contract/errors.js';
import type { PresenceOptions } from './lock-options.js';
import { isInstanceId, newInstanceId } from './owner-token.js';
import { validateTtl } from './validate-options.js';

/** `presence` after defaults and validation. */
export interface PresenceSettings {
  readonly appName: string;
  readonly intervalMs: number;
}

const DEFAULT_INTERVAL_MS = 2_000;
/** Shorter would write the record more often than a dashboard refreshes. */
const MIN_INTERVAL_MS = 500;

/** The instance id: the one given, checked, or a new random one. */
export function resolveInstanceId(value: unknown): string {
  if (value === undefined) return newInstanceId();
  if (!isInstanceId(value)) {
    throw new InvalidLockOptionsError(
      'instanceId',
      `must be 1 to 64 letters, digits or "_", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** `presence` resolved: `undefined` when off. */
export function resolvePresence(value: unknown): PresenceSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new InvalidLockOptionsError(
      'presence',
      `must be a boolean or { appName, interval }, got ${String(value)}`,
    );
  }
  const options: PresenceOptions = value === true ? {} : (value as PresenceOptions);
  const appName = options.appName ?? process.env.npm_package_name ?? 'app';
  if (typeof appName !== 'string' || appName.length === 0 || appName.length > 200) {
    throw new InvalidLockOptionsError(
      'presence.appName',
      'must be a string of 1 to 200 characters',
    );
  }
  const intervalMs =
    options.interval === undefined
      ? DEFAULT_INTERVAL_MS
      : validateTtl(options.interval, 'presence.interval');
  if (intervalMs < MIN_INTERVAL_MS) {
    throw new InvalidLockOptionsError(
      'presence.interval',
      `must be at least ${MIN_INTERVAL_MS} ms, got ${intervalMs} ms`,
    );
  }
  return { appName, intervalMs };
}
