/**
 * The app's tables. `products.stock` has no `CHECK (stock >= 0)` on purpose: the lock alone keeps
 * it from going negative, and the demo checks that it does.
 */
export const SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS products (
    sku   text PRIMARY KEY,
    stock integer NOT NULL,
    -- the fencing token of the last write: a write with a smaller one is refused
    fence bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS orders (
    id         text PRIMARY KEY,
    sku        text NOT NULL REFERENCES products (sku),
    qty        integer NOT NULL,
    instance   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  );
  CREATE TABLE IF NOT EXISTS report_runs (
    id            serial PRIMARY KEY,
    instance      text NOT NULL,
    fencing_token bigint NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    orders        integer,
    items         integer
  );
  CREATE TABLE IF NOT EXISTS catalog_cache (
    id       integer PRIMARY KEY CHECK (id = 1),
    body     jsonb NOT NULL,
    built_by text NOT NULL,
    built_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    fence    bigint NOT NULL,
    -- how many rebuilds wrote it: the demo checks that a burst of refreshes adds one
    rebuilds integer NOT NULL DEFAULT 1
  );
  CREATE TABLE IF NOT EXISTS accounts (
    id      text PRIMARY KEY,
    balance integer NOT NULL,
    -- the fencing token of the account's last write, as for products
    fence   bigint NOT NULL DEFAULT 0
  );
`;

/** `$1`: the SKUs, `$2`: the stock a new product starts with. Existing rows are left alone. */
export const SEED_PRODUCTS_SQL = `
  INSERT INTO products (sku, stock) SELECT unnest($1::text[]), $2 ON CONFLICT (sku) DO NOTHING
`;

/** `$1`: the account ids, `$2`: the balance a new account opens with. Existing rows are left alone. */
export const SEED_ACCOUNTS_SQL = `
  INSERT INTO accounts (id, balance) SELECT unnest($1::text[]), $2 ON CONFLICT (id) DO NOTHING
`;
