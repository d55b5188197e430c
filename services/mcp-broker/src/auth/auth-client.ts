import type { ClientProxy } from '@nestjs/microservices';
import { NatsRecordBuilder } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { firstValueFrom, timeout } from 'rxjs';
import type { z } from 'zod';
import {
  AuthSubjects, ClientCredentialsTokenCommand, ClientCredentialsTokenResult, DomainError, GetAccessTokenCommand, GetAccessTokenResult, replyOf, StartAuthorizationCommand, StartAuthorizationResult,
  type Reply,
} from '@harness/contracts';

/** How long the broker waits for the auth service (a refresh is one token request to the authorization server). */
export const ACCESS_TOKEN_WAIT_MS = 10_000;
/** Starting an authorization may run discovery and registration against the authorization server. */
export const START_WAIT_MS = 15_000;

/** The auth service did not answer (not running, or too slow): not the user's fault, not a reason to reconnect. */
export class AuthUnavailableError extends Error {
  override readonly name = 'AuthUnavailableError';
}

/** The auth service commands the broker uses: a usable access token for (user, server), and a (step-up) authorization. */
export interface AuthTokens {
  accessToken(cmd: Omit<GetAccessTokenCommand, 'correlationId'>): Promise<GetAccessTokenResult>;
  start(cmd: Omit<StartAuthorizationCommand, 'correlationId'>): Promise<StartAuthorizationResult>;
  /** The service-identity token of a `client_credentials` server of the user's (the auth service reads its client). */
  clientCredentialsToken(cmd: Omit<ClientCredentialsTokenCommand, 'correlationId'>): Promise<ClientCredentialsTokenResult>;
}

async function request<C extends z.ZodType, R extends z.ZodType>(
  client: ClientProxy, subject: string, command: C, result: R, payload: z.input<C>, waitMs: number,
): Promise<z.output<R>> {
  const record = new NatsRecordBuilder(command.parse(payload)).setHeaders(natsHeaders()).build();
  let raw: unknown;
  try {
    raw = await firstValueFrom(client.send(subject, record).pipe(timeout(waitMs)));
  } catch (err) {
    throw new AuthUnavailableError(`the auth service did not answer: ${err instanceof Error ? err.message : String(err)}`);
  }
  const reply = replyOf(result).safeParse(raw);
  if (!reply.success) throw new AuthUnavailableError('the auth service reply does not match the contract');
  const answer = reply.data as Reply<z.output<R>>;
  if (!answer.ok) throw new DomainError(answer.error.code, answer.error.message, answer.error.details);
  return answer.data;
}

/** AuthTokens over NATS (Nest's ClientProxy), the auth service's command subjects. */
export function natsAuthTokens(client: ClientProxy): AuthTokens {
  return {
    accessToken: (cmd) => request(client, AuthSubjects.accessToken, GetAccessTokenCommand, GetAccessTokenResult, cmd, ACCESS_TOKEN_WAIT_MS),
    start: (cmd) => request(client, AuthSubjects.start, StartAuthorizationCommand, StartAuthorizationResult, cmd, START_WAIT_MS),
    // Discovery and one token request: as long as a start.
    clientCredentialsToken: (cmd) => request(client, AuthSubjects.clientCredentialsToken, ClientCredentialsTokenCommand, ClientCredentialsTokenResult, cmd, START_WAIT_MS),
  };
}
