import type { ClientProxy } from '@nestjs/microservices';
import { NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import type { z } from 'zod';
import { CORRELATION_HEADER, DomainError, replyOf, type Reply } from '@harness/contracts';
import { currentCorrelationId, errorFields, type Logger } from '@harness/logging';

/** A command: its subject and the schemas of what goes out and what comes back. */
export interface CommandDef<C extends z.ZodType, R extends z.ZodType> {
  /** Read when sending: the subject namespace is configured at boot, after the module defining it is evaluated. */
  subject: () => string;
  command: C;
  result: R;
}

export const commandDef = <C extends z.ZodType, R extends z.ZodType>(subject: () => string, command: C, result: R): CommandDef<C, R> => ({
  subject,
  command,
  result,
});

/**
 * Sends a command over NATS request/reply (Nest's ClientProxy) to a service: validated before it leaves and when the
 * reply arrives; a domain error in the reply becomes a DomainError with the same code; no answer in time, or nobody
 * listening, is 503.
 */
export async function sendCommand<C extends z.ZodType, R extends z.ZodType>(
  target: { client: ClientProxy; logger: Logger; timeoutMs: number; service: string },
  cmd: CommandDef<C, R>,
  payload: Omit<z.input<C>, 'correlationId'>,
): Promise<z.output<R>> {
  const correlationId = currentCorrelationId();
  const command = cmd.command.parse({ ...payload, correlationId });
  const h = natsHeaders();
  if (correlationId) h.set(CORRELATION_HEADER, correlationId);
  const record = new NatsRecordBuilder(command).setHeaders(h).build();
  let raw: unknown;
  try {
    raw = await firstValueFrom(target.client.send(cmd.subject(), record).pipe(timeout(target.timeoutMs)));
  } catch (err) {
    target.logger.warn({ subject: cmd.subject(), ...errorFields(err) }, `${target.service} command got no answer`);
    throw new DomainError('service_unavailable', `the ${target.service} did not answer; try again`);
  }
  const reply = replyOf(cmd.result).safeParse(raw);
  if (!reply.success) {
    target.logger.error({ subject: cmd.subject(), issues: reply.error.issues }, `${target.service} reply does not match the contract`);
    throw new DomainError('internal', 'internal error');
  }
  const answer = reply.data as Reply<z.output<R>>;
  if (!answer.ok) throw new DomainError(answer.error.code, answer.error.message, answer.error.details);
  return answer.data;
}
