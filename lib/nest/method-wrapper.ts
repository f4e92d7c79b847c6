import 'reflect-metadata';

/** Calls the original method: `original.apply(instance, args)`. */
export type Invoke = () => unknown;

/**
 * Replaces `descriptor.value` with a Proxy that routes every call through `around`. The Proxy keeps
 * the method's `name`, `length` and other properties, and every reflect-metadata key already on the
 * method is copied onto it, so decorators applied before (below) this one keep working; those
 * applied after (above) write onto the Proxy itself. The descriptor is changed in place, because
 * `applyDecorators` ignores a returned one.
 */
export function wrapMethod(
  descriptor: PropertyDescriptor,
  around: (instance: unknown, args: unknown[], invoke: Invoke) => unknown,
): void {
  const original = descriptor.value as (...args: unknown[]) => unknown;
  const wrapped = new Proxy(original, {
    apply(target, instance, args: unknown[]) {
      return around(instance, args, () => Reflect.apply(target, instance, args));
    },
  });
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), wrapped);
  }
  descriptor.value = wrapped;
}
