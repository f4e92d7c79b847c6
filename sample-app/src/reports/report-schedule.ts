import type { Duration } from 'nestjs-locker';

/**
 * When the nightly report runs. Decorator arguments are evaluated when the class is defined, so
 * these come from the environment at import time: `REPORT_CRON` (default 03:00 every night, a
 * 6-field expression with seconds) and `REPORT_TTL` (default `'1m'`: how soon another instance
 * takes the job over when the one running it dies). The demo runs it every second with a 3 s ttl.
 */
export const REPORT_CRON = process.env.REPORT_CRON ?? '0 0 3 * * *';

/** See {@link REPORT_CRON}. A malformed value fails at boot, naming the option. */
export const REPORT_TTL = (process.env.REPORT_TTL ?? '1m') as Duration;
