import { toWireReply as wireReply, type Reply } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';

/** The chat service's command replies (see toWireReply in libs/contracts). */
export const toWireReply = <T>(logger: Logger, fn: () => Promise<T>): Promise<Reply<T>> =>
  wireReply('chat service', (err) => logger.error(errorFields(err), 'command failed'), fn);
