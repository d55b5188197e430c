import { Controller, Get } from '@nestjs/common';
import { ModelCatalog } from './model-catalog.js';

@Controller('v1/models')
export class ModelsController {
  constructor(private readonly catalog: ModelCatalog) {}

  @Get()
  list() {
    return this.catalog.list();
  }
}
