import { Module } from '@nestjs/common';
import { CreateHarness } from './create-harness/create-harness.usecase.js';
import { DeleteHarness } from './delete-harness/delete-harness.usecase.js';
import { GetHarness } from './get-harness/get-harness.usecase.js';
import { HarnessesController } from './harnesses.controller.js';
import { ListHarnessTools } from './list-harness-tools/list-harness-tools.usecase.js';
import { ListHarnesses } from './list-harnesses/list-harnesses.usecase.js';
import { UpdateHarness } from './update-harness/update-harness.usecase.js';

@Module({
  controllers: [HarnessesController],
  providers: [CreateHarness, ListHarnesses, GetHarness, UpdateHarness, DeleteHarness, ListHarnessTools],
})
export class HarnessesModule {}
