import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { percentile, Samples, sortedCopy } from './stats.js';

/** The median time of a PING on a fresh connection, in ms: one round trip to Redis. */
export async function redisRoundTripMs(url: string, pings: number): Promise<number> {
  const client = new Redis(url);
  try {
    await client.ping();
    return await medianMs(pings, () => client.ping());
  } finally {
    await client.quit();
  }
}

/** The median time of a `SELECT 1` on a fresh connection, in ms: one round trip to PostgreSQL. */
export async function postgresRoundTripMs(url: string, queries: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT 1');
    return await medianMs(queries, () => client.query('SELECT 1'));
  } finally {
    await client.end();
  }
}

async function medianMs(times: number, call: () => Promise<unknown>): Promise<number> {
  const samples = new Samples();
  for (let i = 0; i < times; i++) {
    const startedAt = performance.now();
    await call();
    samples.add(performance.now() - startedAt);
  }
  return percentile(sortedCopy(samples.values()), 50);
}
