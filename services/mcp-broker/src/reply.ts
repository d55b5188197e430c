import { toWireReply as wireReply, type Reply } from '@harness/contracts';
import { errorFields, type Logger } from '@harness/logging';

/** The MCP broker's command replies (see toWireReply in libs/contracts). */
export const toWireReply = <T>(logger: Logger, fn: () => Promise<T>): Promise<Reply<T>> =>
  wireReply('MCP broker', (err) => logger.error(errorFields(err), 'command failed'), fn);
