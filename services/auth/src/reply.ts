import { toWireReply as wireReply, type Reply } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';

/** The auth service's command replies (see toWireReply in libs/contracts). Error logs carry no tokens: errorFields keeps name, message and stack only. */
export const toWireReply = <T>(logger: Logger, fn: () => Promise<T>): Promise<Reply<T>> =>
  wireReply('auth service', (err) => logger.error(errorFields(err), 'command failed'), fn);
