import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
/** Inside the repo (git- and lint-ignored), so that the root tsconfig's settings and paths apply. */
const DIR = join(ROOT, '.test-build/readme-snippets');

interface Snippet {
  /** README line of the snippet's first code line. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a markdown text. */
function tsSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    snippets.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return snippets;
}

/**
 * What the snippets leave to the reader: the app's own functions and values, declared with the
 * types the snippets use them with.
 */
const PRELUDE = `
declare const orderId: string;
declare const locks: import('nestjs-locker').LockManager;
declare const pool: import('pg').Pool;
declare function chargeOrder(
  orderId: string,
  options: { fence?: bigint; signal?: AbortSignal },
): Promise<{ receipt: string }>;
declare function buildReport(options: { signal: AbortSignal }): Promise<void>;
declare function sendReminders(options: { fence: bigint; signal: AbortSignal }): Promise<void>;
declare function rebuildCatalog(options: { fence: bigint; signal: AbortSignal }): Promise<void>;
declare function sentReports(): unknown[];
declare class InventoryService {}
declare const MyLockBackend: new (options: { url?: string }) => import('nestjs-locker').LockBackend;
`;

/**
 * @nestjs/config is not a dependency of this repo: the part of its API the README uses, as its
 * typings declare it. The packaging test runs the same setup against the real package.
 */
const NESTJS_CONFIG = `
declare module '@nestjs/config' {
  import type { DynamicModule } from '@nestjs/common';
  export class ConfigModule {
    static forRoot(options?: { isGlobal?: boolean; ignoreEnvFile?: boolean }): DynamicModule;
  }
  export class ConfigService {
    get<T = unknown>(propertyPath: string, defaultValue?: T): T;
    getOrThrow<T = unknown>(propertyPath: string): T;
  }
}
`;

/** The app files the testing snippet imports. */
const APP_FILES: Record<string, string> = {
  'src/reports.service.ts': `
import { Injectable } from '@nestjs/common';
import { SingletonCron } from 'nestjs-locker';

@Injectable()
export class ReportsService {
  @SingletonCron('0 0 3 * * *')
  async nightly() {}
}
`,
  'src/app.module.ts': `
import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LockModule } from 'nestjs-locker';
import { ReportsService } from './reports.service.js';

@Module({ imports: [ScheduleModule.forRoot(), LockModule.forRoot()], providers: [ReportsService] })
export class AppModule {}
`,
};

describe('README.md', () => {
  it('has TypeScript examples that compile against the public API', async () => {
    const snippets = tsSnippets(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(snippets.length).toBeGreaterThan(15);

    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(join(DIR, 'snippets'), { recursive: true });
    mkdirSync(join(DIR, 'src'), { recursive: true });
    writeFileSync(join(DIR, 'prelude.d.ts'), PRELUDE);
    writeFileSync(join(DIR, 'nestjs-config.d.ts'), NESTJS_CONFIG);
    for (const [path, text] of Object.entries(APP_FILES)) writeFileSync(join(DIR, path), text);
    // Each snippet a module of its own: its own scope, top-level await allowed.
    snippets.forEach((snippet, i) => {
      writeFileSync(join(DIR, 'snippets', `snippet-${i}.ts`), `${snippet.code}\nexport {};\n`);
    });
    writeFileSync(
      join(DIR, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true },
        include: ['**/*.ts'],
      }),
    );

    let output = '';
    try {
      await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', DIR], {
        cwd: ROOT,
      });
    } catch (error) {
      output = (error as { stdout?: string }).stdout ?? String(error);
    }
    // "snippets/snippet-3.ts(5,7): error TS..." → "README.md:123:7: error TS..."
    const errors = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) =>
        line.replace(
          /^.*snippet-(\d+)\.ts\((\d+),(\d+)\)/,
          (_, i: string, row: string, col: string) =>
            `README.md:${snippets[Number(i)]!.line + Number(row) - 1}:${col}`,
        ),
      );
    expect(errors).toEqual([]);
  }, 60_000);
});
