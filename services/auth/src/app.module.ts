import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '@harness/config';
import { createDatabase, type Database } from '@harness/db';
import type { Logger } from '@harness/logging';
import { GetAccessTokenController } from './access-token/access-token.controller.js';
import { GetAccessToken } from './access-token/access-token.usecase.js';
import { ClientCredentialsTokenController } from './client-credentials-token/client-credentials-token.controller.js';
import { ClientCredentialsToken } from './client-credentials-token/client-credentials-token.usecase.js';
import { CompleteAuthorizationController } from './complete-authorization/complete-authorization.controller.js';
import { CompleteAuthorization } from './complete-authorization/complete-authorization.usecase.js';
import { ConnectionStatusController } from './connection-status/connection-status.controller.js';
import { ConnectionStatus } from './connection-status/connection-status.usecase.js';
import { CreateApiKeyController } from './create-api-key/create-api-key.controller.js';
import { CreateApiKey } from './create-api-key/create-api-key.usecase.js';
import { ListApiKeysController } from './list-api-keys/list-api-keys.controller.js';
import { ListApiKeys } from './list-api-keys/list-api-keys.usecase.js';
import { RevokeApiKeyController } from './revoke-api-key/revoke-api-key.controller.js';
import { RevokeApiKey } from './revoke-api-key/revoke-api-key.usecase.js';
import { VerifyApiKeyController } from './verify-api-key/verify-api-key.controller.js';
import { VerifyApiKey } from './verify-api-key/verify-api-key.usecase.js';
import { SignInController } from './sign-in/sign-in.controller.js';
import { SignIn } from './sign-in/sign-in.usecase.js';
import { VerifySessionController } from './verify-session/verify-session.controller.js';
import { VerifySession } from './verify-session/verify-session.usecase.js';
import { EndSessionController } from './end-session/end-session.controller.js';
import { EndSession } from './end-session/end-session.usecase.js';
import { EndAllSessionsController } from './end-all-sessions/end-all-sessions.controller.js';
import { EndAllSessions } from './end-all-sessions/end-all-sessions.usecase.js';
import { GetUserController } from './get-user/get-user.controller.js';
import { GetUser } from './get-user/get-user.usecase.js';
import { ResolveIdentityController } from './resolve-identity/resolve-identity.controller.js';
import { ResolveIdentity } from './resolve-identity/resolve-identity.usecase.js';
import { sessionSettings, type SessionsContext } from './sessions/context.js';
import { SessionSweeper } from './sessions/session-sweeper.js';
import { HealthController } from './health/health.controller.js';
import { createOAuthContext, type OAuthContext } from './oauth/context.js';
import { RevokeConnectionController } from './revoke-connection/revoke-connection.controller.js';
import { RevokeConnection } from './revoke-connection/revoke-connection.usecase.js';
import { StartAuthorizationController } from './start-authorization/start-authorization.controller.js';
import { StartAuthorization } from './start-authorization/start-authorization.usecase.js';
import { API_KEYS_CONTEXT, CROSS_APP_ACCESS, LOGGER, OAUTH_CONTEXT, REPLICA_ID, SESSIONS_CONTEXT } from './tokens.js';
import type { ApiKeysContext } from './api-keys/context.js';
import { StateSweeper } from './oauth/state-sweeper.js';
import { CrossAppAccess } from './oauth/cross-app-access/connect.js';

export interface AuthRuntime {
  config: Config;
  logger: Logger;
  /** Tests pass their own (e.g. another database, a clock); default: built from config. */
  context?: OAuthContext;
}

const DATABASE = Symbol('DATABASE');

/** Closes the database when the service stops (only the one this module opened). */
class ResourcesCloser implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly db: Database | null) {}
  async onApplicationShutdown(): Promise<void> {
    await this.db?.close();
  }
}

@Module({})
export class AuthModule {
  static forRoot({ config, logger, context }: AuthRuntime): DynamicModule {
    // Built here, not lazily: a bad HARNESS_OAUTH_CLIENTS stops the service at boot.
    const db = context ? null : createDatabase(config.databaseUrl, { applicationName: `harness-auth-${config.replicaId}` });
    const ctx = context ?? createOAuthContext(config, db!, logger);
    const apiKeys: ApiKeysContext = { pool: ctx.db.pool, logger, settings: config.apiKeys, now: ctx.now };
    const sessions: SessionsContext = { pool: ctx.db.pool, keyring: ctx.keyring, logger, settings: sessionSettings(config), now: ctx.now };
    return {
      module: AuthModule,
      controllers: [
        HealthController,
        StartAuthorizationController,
        CompleteAuthorizationController,
        ConnectionStatusController,
        RevokeConnectionController,
        GetAccessTokenController,
        ClientCredentialsTokenController,
        CreateApiKeyController,
        ListApiKeysController,
        RevokeApiKeyController,
        VerifyApiKeyController,
        SignInController,
        VerifySessionController,
        EndSessionController,
        EndAllSessionsController,
        GetUserController,
        ResolveIdentityController,
      ],
      providers: [
        { provide: REPLICA_ID, useValue: config.replicaId },
        { provide: LOGGER, useValue: logger },
        { provide: OAUTH_CONTEXT, useValue: ctx },
        { provide: API_KEYS_CONTEXT, useValue: apiKeys },
        { provide: SESSIONS_CONTEXT, useValue: sessions },
        { provide: CROSS_APP_ACCESS, useValue: new CrossAppAccess(ctx, sessions, config.login.providers) },
        { provide: DATABASE, useValue: db },
        StartAuthorization,
        CompleteAuthorization,
        ConnectionStatus,
        RevokeConnection,
        GetAccessToken,
        ClientCredentialsToken,
        CreateApiKey,
        ListApiKeys,
        RevokeApiKey,
        VerifyApiKey,
        SignIn,
        VerifySession,
        EndSession,
        EndAllSessions,
        GetUser,
        ResolveIdentity,
        StateSweeper,
        SessionSweeper,
        ResourcesCloser,
      ],
    };
  }
}
