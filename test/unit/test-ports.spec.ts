import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Every .ts, .js and .mjs file under `dir`, fixtures of other apps aside. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return /^(consumer-apps|packaged-apps|node_modules)$/.test(name) ? [] : sources(path);
    }
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

// The unit tests open no connection (their URLs are only parsed); everything else may.
const files = ['integration', 'conformance', 'chaos', 'support', 'fixtures', 'setup']
  .flatMap((dir) => sources(join(ROOT, 'test', dir)))
  .map((path) => ({
    path: relative(ROOT, path),
    text: readFileSync(path, 'utf8'),
  }));

/** The ports of docs/development.md's table: single ports and ranges such as 6450–6454. */
function documentedPorts(): Set<number> {
  const table = readFileSync(join(ROOT, 'docs/development.md'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('| ') && /\d{4}/.test(line))
    .map((line) => line.split('|')[1]!);
  const ports = new Set<number>();
  for (const cell of table) {
    for (const [, from, to] of cell.matchAll(/(\d{4,5})(?:–(\d{4,5}))?/g)) {
      for (let port = Number(from); port <= Number(to ?? from); port++) ports.add(port);
    }
  }
  return ports;
}

describe('the ports the tests use', () => {
  it('are all moved by LOCKER_PORT_OFFSET: no literal port on 127.0.0.1 or given to a test server', () => {
    const literal = files.flatMap(({ path, text }) =>
      [
        ...text.matchAll(
          /(?:127\.0\.0\.1|localhost):(\d{4,5})\b|Test(?:Redis|Postgres)Server\((\d{4,5})|PORTS? = (?:\d{4,5}|\[[\d, ]+\](?!\.map\(testPort\)))/g,
        ),
      ].map((match) => `${path}: ${match[0]}`),
    );
    expect(literal).toEqual([]);
  });

  it('are all listed in docs/development.md', () => {
    const used = new Set<number>();
    for (const { text } of files) {
      for (const [, port] of text.matchAll(/testPort\((\d{4,5})\)/g)) used.add(Number(port));
      for (const [, list] of text.matchAll(/\[([\d, ]+)\]\.map\(testPort\)/g)) {
        for (const port of list!.split(',')) used.add(Number(port.trim()));
      }
    }
    expect(used.size).toBeGreaterThan(10);
    const documented = documentedPorts();
    expect([...used].filter((port) => !documented.has(port)).sort()).toEqual([]);
  });
});
