import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { appModuleFor } from './app.module.js';
import { AppConfig, loadAppConfig } from './config/app-config.js';

const app = await NestFactory.create(appModuleFor(loadAppConfig()), {
  logger: ['error', 'warn', 'log'],
});
app.enableShutdownHooks();
const config = app.get(AppConfig);
await app.listen(config.port, config.host);
// One machine-readable line, for the demo (and anyone scripting the app) to find the port.
console.log(
  JSON.stringify({
    event: 'ready',
    instance: config.instance,
    pid: process.pid,
    url: await app.getUrl(),
  }),
);
