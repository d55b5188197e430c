-- MCP servers with a service identity (authType "client_credentials"): the harness owner's OAuth client for the
-- server. The secret (client_secret_basic) or the PEM private key (private_key_jwt) is stored only encrypted
-- (libs/crypto); at most one of them is set. client_issuer pins the authorization server that first accepted them
-- (set by the auth service after its first token; the gateway clears it when the secret or key is entered again): a
-- server that later names another authorization server does not get them sent there.
ALTER TABLE "mcp_servers" ADD COLUMN "client_id" TEXT;
ALTER TABLE "mcp_servers" ADD COLUMN "client_secret_enc" TEXT;
ALTER TABLE "mcp_servers" ADD COLUMN "private_key_enc" TEXT;
ALTER TABLE "mcp_servers" ADD COLUMN "client_issuer" TEXT;

-- Access tokens obtained with the client credentials grant (owned by the auth service), per harness owner, MCP
-- server (canonical URL) and client id; the token encrypted. No refresh token: a new one is requested ahead of expiry.
CREATE TABLE "oauth_client_credential_tokens" (
    "user_id" TEXT NOT NULL,
    "server_url" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "access_token_enc" TEXT NOT NULL,
    "token_type" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "expires_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oauth_client_credential_tokens_pkey" PRIMARY KEY ("user_id","server_url","client_id")
);
