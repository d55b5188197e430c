import { ZodError } from 'zod';
import type { Reply } from './commands.js';
import { DomainError } from './errors.js';

/**
 * Runs a command handler and turns its outcome into the wire reply: a domain error keeps its code, an invalid command
 * is `validation_failed` with the issues, anything else is `internal` (reported to `onUnexpected`, never sent).
 * Workers never throw HTTP errors.
 */
export async function toWireReply<T>(
  service: string,
  onUnexpected: (err: unknown) => void,
  fn: () => Promise<T>,
): Promise<Reply<T>> {
  try {
    return { ok: true, data: await fn() };
  } catch (err) {
    if (err instanceof DomainError) return { ok: false, error: err.toBody() };
    if (err instanceof ZodError) {
      return {
        ok: false,
        error: {
          code: 'validation_failed',
          message: err.issues[0]?.message ?? 'invalid command',
          details: { issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
        },
      };
    }
    onUnexpected(err);
    return { ok: false, error: { code: 'internal', message: `the ${service} could not process the command` } };
  }
}
