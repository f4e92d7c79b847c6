import { Global, Module } from '@nestjs/common';
import { AppConfig, loadAppConfig } from './app-config.js';

/** Provides {@link AppConfig} everywhere, read from the environment once. */
@Global()
@Module({
  providers: [{ provide: AppConfig, useFactory: () => loadAppConfig() }],
  exports: [AppConfig],
})
export class AppConfigModule {}
