import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { z } from 'zod';
import {
  AuthSubjects, CompleteAuthorizationCommand, CompleteAuthorizationResult, ConnectionStatusCommand, ConnectionStatusResult,
  RevokeConnectionCommand, RevokeConnectionResult, StartAuthorizationCommand, StartAuthorizationResult,
} from '@harness/contracts';
import type { Logger } from '@harness/logging';
import { commandDef as def, sendCommand, type CommandDef } from '../core/send-command.js';
import { LOGGER } from '../core/tokens.js';

/** The NATS client of the auth service's commands (a connection of its own, closed by Nest on shutdown). */
export const AUTH_CLIENT = 'AUTH_CLIENT';

export const AuthCommand = {
  start: def(() => AuthSubjects.start, StartAuthorizationCommand, StartAuthorizationResult),
  complete: def(() => AuthSubjects.complete, CompleteAuthorizationCommand, CompleteAuthorizationResult),
  status: def(() => AuthSubjects.status, ConnectionStatusCommand, ConnectionStatusResult),
  revoke: def(() => AuthSubjects.revoke, RevokeConnectionCommand, RevokeConnectionResult),
} as const;

/**
 * How long the gateway waits for the auth service: starting runs discovery and registration, completing a token
 * request, revoking an RFC 7009 request, each against the authorization server (which the auth service bounds).
 */
export const AUTH_COMMAND_TIMEOUT_MS = 15_000;

/** Sends commands to the auth service (see sendCommand): no answer in time, or nobody listening, is 503. */
@Injectable()
export class AuthCommands {
  constructor(
    @Inject(AUTH_CLIENT) private readonly client: ClientProxy,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  send<C extends z.ZodType, R extends z.ZodType>(cmd: CommandDef<C, R>, payload: Omit<z.input<C>, 'correlationId'>, timeoutMs = AUTH_COMMAND_TIMEOUT_MS): Promise<z.output<R>> {
    return sendCommand({ client: this.client, logger: this.logger, timeoutMs, service: 'auth service' }, cmd, payload);
  }
}
