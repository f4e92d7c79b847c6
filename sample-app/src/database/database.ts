import pg from 'pg';

/**
 * The app's PostgreSQL pool (products, orders, report runs, the catalog cache). Its connections use
 * the app's schema (`DB_SCHEMA`) as their search path, so the SQL names tables without a schema.
 */
export class Database extends pg.Pool {}
