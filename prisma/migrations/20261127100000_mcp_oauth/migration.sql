-- MCP OAuth (services/auth, docs/oauth.md). Secrets and tokens are AES-256-GCM ciphertexts (libs/crypto); the state is
-- stored as its sha256. Every query of the per-user tables names user_id.

-- One OAuth client per authorization server issuer (pre-registered, CIMD or dynamically registered).
CREATE TABLE "oauth_clients" (
    "issuer" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "client_secret_enc" TEXT,
    "token_endpoint_auth_method" TEXT,
    "source" TEXT NOT NULL CHECK ("source" IN ('preregistered', 'cimd', 'dcr')),
    "registration" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "oauth_clients_pkey" PRIMARY KEY ("issuer")
);

-- A user's tokens for one MCP server (canonical resource) from one issuer. `resource_indicator` is the RFC 8707
-- `resource` sent with token requests (the protected resource metadata's `resource`; null on the 2025-03-26 path). `version` grows on every token change
-- (compare-and-swap for refresh across replicas).
CREATE TABLE "oauth_connections" (
    "user_id" TEXT NOT NULL,
    "server_url" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "resource_indicator" TEXT,
    "issuer" TEXT NOT NULL,
    "auth_server_url" TEXT NOT NULL,
    "auth_metadata" JSONB,
    "client_id" TEXT NOT NULL,
    "access_token_enc" TEXT NOT NULL,
    "refresh_token_enc" TEXT,
    "token_type" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "expires_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL CHECK ("status" IN ('connected', 'expired', 'error')),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "oauth_connections_pkey" PRIMARY KEY ("user_id", "server_url")
);
CREATE INDEX "oauth_connections_user_id_resource_issuer_idx" ON "oauth_connections"("user_id", "resource", "issuer");

-- Authorizations in flight.
CREATE TABLE "oauth_states" (
    "state_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "server_url" TEXT NOT NULL,
    "resource" TEXT,
    "expected_issuer" TEXT NOT NULL,
    "auth_server_url" TEXT NOT NULL,
    "auth_metadata" JSONB,
    "client_id" TEXT NOT NULL,
    "code_verifier_enc" TEXT NOT NULL,
    "authorization_url_enc" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "scope_key" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "redirect_uri" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    CONSTRAINT "oauth_states_pkey" PRIMARY KEY ("state_hash")
);
CREATE INDEX "oauth_states_user_id_server_url_scope_key_idx" ON "oauth_states"("user_id", "server_url", "scope_key");
CREATE INDEX "oauth_states_expires_at_idx" ON "oauth_states"("expires_at");

-- Authorization attempts per (user, server, requested scope set) within a window: the step-up cap.
CREATE TABLE "oauth_authorization_attempts" (
    "user_id" TEXT NOT NULL,
    "server_url" TEXT NOT NULL,
    "scope_key" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "window_starts_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "oauth_authorization_attempts_pkey" PRIMARY KEY ("user_id", "server_url", "scope_key")
);
