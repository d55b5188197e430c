import { Controller, Get, Query } from '@nestjs/common';
import type { z } from 'zod';
import { UsageQuery } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { GetUsage } from './get-usage.usecase.js';

@Controller('v1/usage')
export class UsageController {
  constructor(private readonly getUsage: GetUsage) {}

  @Get()
  get(@CurrentUser() user: string, @Query(new ZodPipe(UsageQuery)) query: z.output<typeof UsageQuery>) {
    return this.getUsage.execute(user, query);
  }
}
