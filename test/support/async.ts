/** Small helpers for tests that wait on real servers. None of them asserts on elapsed time. */

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `signal` aborts; rejects after `limitMs` (a generous bound, not a measurement). */
export function aborted(signal: AbortSignal, limitMs: number): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`signal did not abort within ${limitMs} ms`)),
      limitMs,
    );
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

/** A unique suffix, so tests sharing one server never share keys. */
export function uniqueId(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls `condition` every `everyMs` until it holds; `limitMs` is a generous bound, not a measurement. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  limitMs = 10_000,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await sleep(everyMs);
  }
}
