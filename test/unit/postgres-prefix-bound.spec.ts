import { describe, expect, it } from '@jest/globals';
import { prefixUpperBound } from '../../lib/backends/postgres/postgres-directory.js';

describe('prefixUpperBound (the end of a prefix’s range of keys in code point order)', () => {
  it('moves the last code point up by one', () => {
    expect(prefixUpperBound('locker:')).toBe('locker;');
    expect(prefixUpperBound('a😀')).toBe('a😁');
    expect(prefixUpperBound('a\uFFFF')).toBe('a\u{10000}');
  });

  it('steps over the surrogates, which no key holds', () => {
    expect(prefixUpperBound('a\uD7FF')).toBe('a\uE000');
  });

  it('drops trailing U+10FFFF, past which nothing sorts', () => {
    expect(prefixUpperBound('ab\u{10FFFF}\u{10FFFF}')).toBe('ac');
  });

  it('has none for an empty prefix, only U+10FFFF, or a lone surrogate', () => {
    expect(prefixUpperBound('')).toBeUndefined();
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined();
    expect(prefixUpperBound('a\uD800b')).toBeUndefined();
  });
});
