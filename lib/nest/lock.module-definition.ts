import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LockExceptionFilter } from './lock-exception.filter.js';
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
   * Register {@link LockExceptionFilter} as a global filter, so that a busy lock is HTTP 409 with
   * `Retry-After` wherever in the request it was taken. Default `true`; with `false`, lock errors
   * reach the app's filters unchanged.
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
        : [...(definition.providers ?? []), { provide: APP_FILTER, useClass: LockExceptionFilter }],
  }))
  .build();
