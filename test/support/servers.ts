/**
 * Every port the tests use is its default plus LOCKER_PORT_OFFSET (default 0), the one variable
 * that moves them all, in the specs, the global setup and scripts/servers.sh alike. The defaults:
 * 5440-5449 (Postgres), 6390-6409, 6430-6432, 6440-6441, 6450-6454, 6491-6495 (Redis) and 26440
 * (Sentinel); README "Developing" lists what each one is.
 */
export const PORT_OFFSET = Number(process.env.LOCKER_PORT_OFFSET ?? 0);

/** A test port: its default plus LOCKER_PORT_OFFSET. */
export const testPort = (port: number): number => port + PORT_OFFSET;

/** Where the servers started by scripts/servers.sh listen (always 127.0.0.1). */
export const REDIS_PORT = Number(process.env.LOCKER_REDIS_PORT ?? testPort(6390));
export const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;
export const PG_PORT = Number(process.env.LOCKER_PG_PORT ?? testPort(5440));
export const PG_URL = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
/** The first of the three masters of the test Redis Cluster (ports CLUSTER_PORT..+2). */
export const CLUSTER_PORT = Number(process.env.LOCKER_CLUSTER_PORT ?? testPort(6430));
/** The five independent Redis masters of the Redlock conformance target (global setup starts them). */
export const REDLOCK_PORTS = [6400, 6401, 6402, 6403, 6404].map(testPort);
export const REDLOCK_URLS = REDLOCK_PORTS.map((port) => `redis://127.0.0.1:${port}`);
