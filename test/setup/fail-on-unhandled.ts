// Any unhandled rejection during a test fails that test: the library must never leak one.
import { afterEach, expect } from '@jest/globals';

const unhandled: unknown[] = [];
const record = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', record);

afterEach(() => {
  const seen = unhandled.splice(0);
  expect(seen).toEqual([]);
});
