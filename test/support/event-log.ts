import { readFileSync } from 'node:fs';

/**
 * The complete lines of a JSON-lines log that other processes append to: `[]` while the file does
 * not exist, and the last line left out, since it is '' or still being written.
 */
export function readJsonLines<T>(file: string): T[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as T);
}
