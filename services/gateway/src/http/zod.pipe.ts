import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { validationError } from './error-mapping.js';

/** Validates (and transforms) a body, query or param with a zod schema; failures are 400 validation_failed. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const r = this.schema.safeParse(value);
    if (!r.success) throw validationError(r.error);
    return r.data;
  }
}
