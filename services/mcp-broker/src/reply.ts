import { DomainError, type Reply } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';
import { ZodError } from 'zod';

/** Runs a command handler and turns its outcome into the wire reply; the broker never throws HTTP errors. */
export async function toWireReply<T>(logger: Logger, fn: () => Promise<T>): Promise<Reply<T>> {
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
    logger.error(errorFields(err), 'command failed');
    return { ok: false, error: { code: 'internal', message: 'the MCP broker could not process the command' } };
  }
}
