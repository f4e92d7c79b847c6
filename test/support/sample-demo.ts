import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import pg from 'pg';
import { type DemoOptions, type DemoResult, runDemo } from '../../sample-app/demo/run-demo.js';
import { PG_URL, REDIS_URL } from './servers.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'sample-app/dist/src/main.js');

/**
 * Runs `npm run demo`'s scenario once for the enclosing `describe`: compiles the sample app (it
 * imports 'nestjs-locker' by name, which resolves to dist/, built by the global setup), starts
 * three instances on the test servers with the data in a schema of their own, and drops that
 * schema afterwards. Returns the result, read once the run is over.
 */
export function demoRunFor(
  name: string,
  options: Pick<DemoOptions, 'lockStore' | 'zookeeperConnect' | 'etcdEndpoints'> = {},
): () => DemoResult {
  const schema = `sample_${name.replaceAll('-', '_')}_${Math.random().toString(36).slice(2, 10)}`;
  const logDir = mkdtempSync(join(tmpdir(), `locker-demo-${name}-`));
  let result: DemoResult | undefined;

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '-p', 'sample-app/tsconfig.json'],
      { cwd: ROOT, stdio: 'inherit' },
    );
    result = await runDemo({
      main: MAIN,
      redisUrl: REDIS_URL,
      databaseUrl: PG_URL,
      dbSchema: schema,
      ports: [0, 0, 0],
      logDir,
      progress: () => undefined,
      ...options,
    });
  }, 120_000);

  afterAll(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(logDir, { recursive: true, force: true });
  });

  return () => {
    if (!result) throw new Error(`the ${name} demo did not run`);
    return result;
  };
}
