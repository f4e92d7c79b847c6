import { Module } from '@nestjs/common';
import { CatalogController } from './catalog.controller.js';
import { CatalogCacheService } from './catalog-cache.service.js';

/** The catalog and its cache, rebuilt once however many callers ask at once. */
@Module({
  controllers: [CatalogController],
  providers: [CatalogCacheService],
})
export class CatalogModule {}
