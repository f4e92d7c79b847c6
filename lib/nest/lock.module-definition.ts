import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { LockExceptionFilter } from './lock-exception.filter.js';
import { LOCK_INTERCEPTOR } from './lock-interceptor.token.js';
import type { LockModuleOptions } from './lock-module.options.js';

/**
 * Options of `forRoot` / `forRootAsync` that shape the module itself, so known before DI runs.
 *
 * @example
 * ```ts
 * LockModule.forRootAsync({ isGlobal: true, exceptionFilter: false, useFactory: () => ({}) });
 * ```
 */
export interface LockModuleExtras {
  /** Register the module globally. Default `true`. */
  isGlobal?: boolean;
  /**
   * Answer lock errors in HTTP requests: `LockInterceptor` registered globally turns those thrown
   * in a handler into `HttpException`s (a busy lock is 409 with `Retry-After` and `errorCode`,
   * wherever in the request it was taken), and {@link LockExceptionFilter} as a global filter
   * answers those thrown before the handler. Default `true`; with `false`, lock errors reach the
   * app's filters unchanged.
   */
  exceptionFilter?: boolean;
}

/**
 * The module's option plumbing: `forRoot` / `forRootAsync`, global unless `isGlobal: false`, with
 * the lock exception filter unless `exceptionFilter: false`.
 */
export const {
  ConfigurableModuleClass: ConfigurableLockModule,
  MODULE_OPTIONS_TOKEN: LOCK_MODULE_OPTIONS,
  OPTIONS_TYPE: LOCK_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOCK_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LockModuleOptions>({ moduleName: 'Lock' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createLockModuleOptions')
  .setExtras<LockModuleExtras>({ isGlobal: true, exceptionFilter: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers:
      extras.exceptionFilter === false
        ? definition.providers
        : [
            ...(definition.providers ?? []),
            // The interceptor answers lock errors thrown inside a handler as HttpExceptions, which
            // any filter understands; the filter answers those thrown before it (guards, pipes).
            { provide: APP_INTERCEPTOR, useExisting: LOCK_INTERCEPTOR },
            { provide: APP_FILTER, useClass: LockExceptionFilter },
          ],
  }))
  .build();
