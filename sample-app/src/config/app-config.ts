/** Which store the app's locks live in. */
export type LockStore =
  | 'redis'
  | 'postgres'
  | 'postgres-advisory'
  | 'memory'
  | 'zookeeper'
  | 'etcd';

const LOCK_STORES: readonly LockStore[] = [
  'redis',
  'postgres',
  'postgres-advisory',
  'memory',
  'zookeeper',
  'etcd',
];

/**
 * Everything the sample app reads from its environment, read once at boot. Injected by its class,
 * so services ask for `AppConfig` as they would for `ConfigService` with `@nestjs/config`.
 */
export abstract class AppConfig {
  /** A name for this instance in logs and responses (`INSTANCE`, default `app-<pid>`). */
  abstract readonly instance: string;
  /** HTTP port (`PORT`, default 3000; `0` picks a free one). */
  abstract readonly port: number;
  /** Address to listen on (`HOST`, default `127.0.0.1`). */
  abstract readonly host: string;
  /**
   * Where the locks live (`LOCK_STORE`: `redis` (default), `postgres`, `memory`, `zookeeper` or
   * `etcd`).
   */
  abstract readonly lockStore: LockStore;
  /** `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  abstract readonly redisUrl: string;
  /** `ZOOKEEPER_CONNECT`, default `127.0.0.1:2181` (servers separated by commas, then a chroot). */
  abstract readonly zookeeperConnect: string;
  /** `ETCD_ENDPOINTS`, default `http://127.0.0.1:2379` (several separated by commas). */
  abstract readonly etcdEndpoints: readonly string[];
  /** `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`. */
  abstract readonly databaseUrl: string;
  /** Schema of the app's own tables (`DB_SCHEMA`, default `sample_app`). */
  abstract readonly dbSchema: string;
  /** Key prefix of the locks (`LOCK_PREFIX`, default `sample-app:`). */
  abstract readonly keyPrefix: string;
  /** Stock each product starts with when its row is created (`INITIAL_STOCK`, default 100). */
  abstract readonly initialStock: number;
  /**
   * How long the pretend slow calls take (the payment gateway, the fraud check of a transfer, the
   * catalog query), in ms (`SLOW_CALL_MS`, default 100).
   */
  abstract readonly slowCallMs: number;
  /** How long building the report takes, in ms (`REPORT_WORK_MS`, default 50). */
  abstract readonly reportWorkMs: number;
  /**
   * The lock dashboard's password (`DASHBOARD_TOKEN`; HTTP Basic, any user name). Unset: the
   * dashboard is unguarded, which is refused when `NODE_ENV=production`.
   */
  abstract readonly dashboardToken: string | undefined;
  /** The password of the dashboard's user `admin`, who may force-release (`DASHBOARD_ADMIN_TOKEN`). */
  abstract readonly dashboardAdminToken: string | undefined;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Reads and checks the environment; throws a readable error on a bad value. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const lockStore = (env.LOCK_STORE ?? 'redis') as LockStore;
  if (!LOCK_STORES.includes(lockStore)) {
    throw new Error(`LOCK_STORE must be one of ${LOCK_STORES.join(', ')}, got "${lockStore}"`);
  }
  const dbSchema = env.DB_SCHEMA ?? 'sample_app';
  if (!IDENTIFIER.test(dbSchema)) {
    throw new Error(`DB_SCHEMA must be a lower-case SQL identifier, got "${dbSchema}"`);
  }
  return {
    instance: env.INSTANCE ?? `app-${process.pid}`,
    port: whole(env, 'PORT', 3000),
    host: env.HOST ?? '127.0.0.1',
    lockStore,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    zookeeperConnect: env.ZOOKEEPER_CONNECT ?? '127.0.0.1:2181',
    etcdEndpoints: (env.ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',').map((e) => e.trim()),
    databaseUrl: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    dbSchema,
    keyPrefix: env.LOCK_PREFIX ?? 'sample-app:',
    initialStock: whole(env, 'INITIAL_STOCK', 100),
    slowCallMs: whole(env, 'SLOW_CALL_MS', 100),
    reportWorkMs: whole(env, 'REPORT_WORK_MS', 50),
    dashboardToken: env.DASHBOARD_TOKEN || undefined,
    dashboardAdminToken: env.DASHBOARD_ADMIN_TOKEN || undefined,
  };
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number, 0 or more, got "${text}"`);
  }
  return value;
}
