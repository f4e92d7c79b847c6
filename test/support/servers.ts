/** Where the servers started by scripts/servers.sh listen (always 127.0.0.1). */
export const REDIS_PORT = Number(process.env.LOCKER_REDIS_PORT ?? 6390);
export const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;
export const PG_PORT = Number(process.env.LOCKER_PG_PORT ?? 5440);
export const PG_URL = `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;
/** The first of the three masters of the test Redis Cluster (ports CLUSTER_PORT..+2). */
export const CLUSTER_PORT = Number(process.env.LOCKER_CLUSTER_PORT ?? 6430);
/** The five independent Redis masters of the Redlock conformance target (global setup starts them). */
export const REDLOCK_PORTS = [6400, 6401, 6402, 6403, 6404];
export const REDLOCK_URLS = REDLOCK_PORTS.map((port) => `redis://127.0.0.1:${port}`);
