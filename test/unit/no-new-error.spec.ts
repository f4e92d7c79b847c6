import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'test/fixtures/no-new-error');

interface BiomeReport {
  diagnostics: { category: string; location: { path: string; start: { line: number } } }[];
}

/**
 * The project's biome.json and its GritQL rule, in a folder of their own whose lib/ is the
 * fixture's: the rule applies to lib/ only, and the real lib/ is not what is being proved here.
 */
describe('lint/no-new-error.grit (biome check, npm run lint)', () => {
  let project: string;

  beforeAll(async () => {
    project = await mkdtemp(path.join(tmpdir(), 'no-new-error-'));
    await cp(path.join(root, 'biome.json'), path.join(project, 'biome.json'));
    await cp(path.join(root, 'lint'), path.join(project, 'lint'), { recursive: true });
    await cp(path.join(fixtures, 'lib'), path.join(project, 'lib'), { recursive: true });
  });

  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('reports each new Error() in lib/ code, and none in comments, docs, strings, subclasses or contract/errors.ts', async () => {
    const { stdout } = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/biome'),
      ['lint', '--vcs-enabled=false', '--reporter=json', '--max-diagnostics=none', '.'],
      { cwd: project },
    ).catch((failed: { stdout: string }) => failed);
    const report = JSON.parse(stdout) as BiomeReport;
    const reported = report.diagnostics
      .filter((d) => d.category === 'plugin')
      .map((d) => `${d.location.path}:${d.location.start.line}`);
    const source = await readFile(path.join(fixtures, 'lib/example.ts'), 'utf8');
    const marked = source
      .split('\n')
      .flatMap((line, index) =>
        line.includes('// REPORTED') ? [`lib/example.ts:${index + 1}`] : [],
      );
    expect(marked).toHaveLength(3);
    expect(reported.sort()).toEqual(marked.sort());
  });
});
