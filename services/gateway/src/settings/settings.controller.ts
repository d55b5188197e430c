import { Body, Controller, Get, Put } from '@nestjs/common';
import type { z } from 'zod';
import { SettingsBody } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { GetSettings, PutSettings } from './settings.usecases.js';

@Controller('v1/me/settings')
export class SettingsController {
  constructor(
    private readonly getSettings: GetSettings,
    private readonly putSettings: PutSettings,
  ) {}

  @Get()
  get(@CurrentUser() user: string) {
    return this.getSettings.execute(user);
  }

  @Put()
  put(@CurrentUser() user: string, @Body(new ZodPipe(SettingsBody)) body: z.infer<typeof SettingsBody>) {
    return this.putSettings.execute(user, body);
  }
}
