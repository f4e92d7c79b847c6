/**
 * Every port the tests use is its default plus LOCKER_PORT_OFFSET (default 0), the one variable
 * that moves them all, in the specs, the global setup and scripts/servers.sh alike. The defaults:
 * 5440-5449 (Postgres), 6390-6409, 6430-6432, 6440-6441, 6450-6454, 6491-6495 (Redis), 26440
 * (Sentinel), 2190 (ZooKeeper; 2200-2222 an ensemble) and 2390-2391 (etcd; 2400-2412 a cluster);
 * README "Developing" lists what each one is.
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
/** The standalone ZooKeeper server the global setup starts (client port). */
export const ZK_PORT = Number(process.env.LOCKER_ZK_PORT ?? testPort(2190));
export const ZK_CONNECT = `127.0.0.1:${ZK_PORT}`;
/**
 * The first client port of the three-server ZooKeeper ensemble that fault specs start themselves
 * (`scripts/servers.sh start zookeeper-ensemble:PORT`): client ports ZK_ENSEMBLE_PORT..+2.
 */
export const ZK_ENSEMBLE_PORT = Number(process.env.LOCKER_ZK_ENSEMBLE_PORT ?? testPort(2200));
/** The single etcd member the global setup starts (client port; its peer port is the next one). */
export const ETCD_PORT = Number(process.env.LOCKER_ETCD_PORT ?? testPort(2390));
export const ETCD_URL = `http://127.0.0.1:${ETCD_PORT}`;
/**
 * The first client port of the three-member etcd cluster that fault specs start themselves
 * (`scripts/servers.sh start etcd-cluster:PORT`): client ports ETCD_CLUSTER_PORT..+2.
 */
export const ETCD_CLUSTER_PORT = Number(process.env.LOCKER_ETCD_CLUSTER_PORT ?? testPort(2400));
