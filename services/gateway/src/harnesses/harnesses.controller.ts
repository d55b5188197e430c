import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { CreateHarnessBody, HarnessListQuery, PatchHarnessBody, ToolListQuery, type PageQuery } from '@harness/contracts';
import { CurrentUser } from '../auth/auth.guard.js';
import { UuidParam } from '../http/uuid-param.pipe.js';
import { ZodPipe } from '../http/zod.pipe.js';
import { RateLimited } from '../limits/rate-limited.guard.js';
import { CreateHarness } from './create-harness/create-harness.usecase.js';
import { DeleteHarness } from './delete-harness/delete-harness.usecase.js';
import { GetHarness } from './get-harness/get-harness.usecase.js';
import { ListHarnessTools } from './list-harness-tools/list-harness-tools.usecase.js';
import { ListHarnesses } from './list-harnesses/list-harnesses.usecase.js';
import { UpdateHarness } from './update-harness/update-harness.usecase.js';

const HarnessId = new UuidParam('harness');

@Controller('v1/harnesses')
export class HarnessesController {
  constructor(
    private readonly createHarness: CreateHarness,
    private readonly listHarnesses: ListHarnesses,
    private readonly getHarness: GetHarness,
    private readonly updateHarness: UpdateHarness,
    private readonly deleteHarness: DeleteHarness,
    private readonly listHarnessTools: ListHarnessTools,
  ) {}

  @Post()
  @RateLimited('harnessWrites')
  create(@CurrentUser() user: string, @Body(new ZodPipe(CreateHarnessBody)) body: CreateHarnessBody) {
    return this.createHarness.execute(user, body);
  }

  @Get()
  list(@CurrentUser() user: string, @Query(new ZodPipe(HarnessListQuery)) query: PageQuery) {
    return this.listHarnesses.execute(user, query);
  }

  @Get(':id')
  get(@CurrentUser() user: string, @Param('id', HarnessId) id: string) {
    return this.getHarness.execute(user, id);
  }

  @Get(':id/tools')
  @RateLimited('toolLists')
  tools(@CurrentUser() user: string, @Param('id', HarnessId) id: string, @Query(new ZodPipe(ToolListQuery)) query: PageQuery) {
    return this.listHarnessTools.execute(user, id, query);
  }

  @Patch(':id')
  @RateLimited('harnessWrites')
  update(@CurrentUser() user: string, @Param('id', HarnessId) id: string, @Body(new ZodPipe(PatchHarnessBody)) body: PatchHarnessBody) {
    return this.updateHarness.execute(user, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@CurrentUser() user: string, @Param('id', HarnessId) id: string) {
    return this.deleteHarness.execute(user, id);
  }
}
