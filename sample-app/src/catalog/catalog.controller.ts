import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { type CacheRefresh, CatalogCacheService } from './catalog-cache.service.js';

/** `GET /catalog` (from the cache), `POST /catalog/refresh`. */
@Controller('catalog')
export class CatalogController {
  constructor(private readonly cache: CatalogCacheService) {}

  @Get()
  read(): Promise<unknown> {
    return this.cache.read();
  }

  @Post('refresh')
  @HttpCode(200)
  refresh(): Promise<CacheRefresh> {
    return this.cache.refresh();
  }
}
