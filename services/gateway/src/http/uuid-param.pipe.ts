import type { PipeTransform } from '@nestjs/common';
import { DomainError, Uuid } from '@harness/contracts';

/** A resource id in the path. Ids are UUIDs, so anything else names nothing: 404, like an unknown id. */
export class UuidParam implements PipeTransform<string, string> {
  constructor(private readonly what = 'resource') {}

  transform(value: string): string {
    if (!Uuid.safeParse(value).success) throw new DomainError('not_found', `${this.what} not found`);
    return value;
  }
}
