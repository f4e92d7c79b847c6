import { type INestApplicationContext, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LockModule, type LockModuleOptions } from '../../lib/index.js';

/** A Nest application context with `LockModule.forRoot(options)` and `provider`, and the provider. */
export async function bootWithLocks<T>(
  provider: Type<T>,
  options: LockModuleOptions = {},
): Promise<{ app: INestApplicationContext; service: T }> {
  @Module({ imports: [LockModule.forRoot(options)], providers: [provider] })
  class AppModule {}
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: false,
    abortOnError: false,
  });
  return { app, service: app.get(provider) };
}
