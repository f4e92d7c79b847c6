import { InvalidLockOptionsError } from '../contract/errors.js';

/**
 * A lock key given to `@Locked()`: a template with positional placeholders — `'order:{0}'`,
 * `'order:{0.id}'`, `'{1.user.id}'` — or a function of the method's arguments, which may return
 * several keys to lock together.
 */
export type LockKeySource<A extends unknown[] = unknown[]> =
  | string
  | ((...args: A) => string | readonly string[]);

/** Resolves a key (or the keys) for one call's arguments. */
export type KeyResolver = (args: readonly unknown[]) => string | readonly string[];

interface Placeholder {
  readonly text: string;
  readonly index: number;
  readonly path: readonly string[];
}

const PLACEHOLDER = /\{(\d+)((?:\.[A-Za-z_$][\w$]*)*)\}/g;

/** The placeholders of a template, in order. */
export function placeholdersOf(template: string): Placeholder[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => ({
    text: match[0],
    index: Number(match[1]),
    path: match[2] ? match[2].slice(1).split('.') : [],
  }));
}

/** The highest argument index a template reads, or -1 when it reads none. */
export function highestArgumentIndex(template: string): number {
  return Math.max(-1, ...placeholdersOf(template).map((placeholder) => placeholder.index));
}

/**
 * Compiles a key source into a resolver. A placeholder that resolves to `undefined`, `null`, an
 * empty string or an object is an error, never a key like `"order:undefined"`.
 */
export function compileKey(source: LockKeySource<never[]>, where: string): KeyResolver {
  if (typeof source === 'function') {
    return (args) =>
      checkKey(
        (source as (...args: readonly unknown[]) => unknown)(...args),
        'the key function',
        where,
      );
  }
  const placeholders = placeholdersOf(source);
  if (placeholders.length === 0) return () => source;
  return (args) => {
    let key = source;
    for (const { text, index, path } of placeholders) {
      let value: unknown = args[index];
      for (const property of path) {
        value =
          value === undefined || value === null
            ? value
            : (value as Record<string, unknown>)[property];
      }
      key = key.replace(text, () => placeholderText(value, text, where));
    }
    return checkKey(key, 'the key template', where);
  };
}

function placeholderText(value: unknown, placeholder: string, where: string): string {
  if (value === undefined || value === null || value === '') {
    throw new InvalidLockOptionsError(
      'key',
      `placeholder ${placeholder} resolved to ${JSON.stringify(value) ?? 'undefined'}`,
      where,
    );
  }
  if (typeof value === 'object' || typeof value === 'function' || typeof value === 'symbol') {
    throw new InvalidLockOptionsError(
      'key',
      `placeholder ${placeholder} resolved to ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}; point it at a property, like {0.id}`,
      where,
    );
  }
  return String(value);
}

function checkKey(key: unknown, what: string, where: string): string | readonly string[] {
  if (Array.isArray(key) && key.length > 0) {
    for (const each of key) checkKey(each, what, where);
    return key as readonly string[];
  }
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidLockOptionsError(
      'key',
      `${what} returned ${JSON.stringify(key) ?? String(key)}, not a non-empty string (or array of them)`,
      where,
    );
  }
  return key;
}
