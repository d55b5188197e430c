-- Event store: one stream per conversation, append-only.
CREATE TABLE "streams" (
    "stream_id" TEXT NOT NULL,
    "stream_position" INTEGER NOT NULL DEFAULT 0,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "streams_pkey" PRIMARY KEY ("stream_id")
);

CREATE TABLE "events" (
    "global_position" BIGSERIAL NOT NULL,
    "stream_id" TEXT NOT NULL,
    "stream_position" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "events_pkey" PRIMARY KEY ("global_position")
);
CREATE UNIQUE INDEX "events_stream_id_stream_position_key" ON "events"("stream_id", "stream_position");

-- Append-only: an event is never changed. (Deleting a whole conversation removes its events: see docs/event-model.md.)
CREATE FUNCTION "events_forbid_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER "events_no_update" BEFORE UPDATE ON "events" FOR EACH ROW EXECUTE FUNCTION "events_forbid_update"();

CREATE TABLE "harnesses" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "system_prompt" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "harnesses_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "harnesses_user_id_created_at_idx" ON "harnesses"("user_id", "created_at");

CREATE TABLE "mcp_servers" (
    "id" UUID NOT NULL,
    "harness_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "auth_type" TEXT NOT NULL,
    "auth_token_enc" TEXT,
    CONSTRAINT "mcp_servers_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "mcp_servers_harness_id_position_idx" ON "mcp_servers"("harness_id", "position");
ALTER TABLE "mcp_servers" ADD CONSTRAINT "mcp_servers_harness_id_fkey" FOREIGN KEY ("harness_id") REFERENCES "harnesses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "user_settings" (
    "user_id" TEXT NOT NULL,
    "display_mode" TEXT NOT NULL DEFAULT 'standard',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "user_settings_pkey" PRIMARY KEY ("user_id")
);

CREATE TABLE "conversations" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "harness_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "active_run_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "conversations_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "conversations_user_id_created_at_id_idx" ON "conversations"("user_id", "created_at" DESC, "id" DESC);

CREATE TABLE "run_leases" (
    "conversation_id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "fencing_token" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "run_leases_pkey" PRIMARY KEY ("conversation_id")
);

CREATE TABLE "idempotency_keys" (
    "conversation_id" UUID NOT NULL,
    "client_message_id" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("conversation_id", "client_message_id")
);

CREATE TABLE "message_views" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "run_id" UUID,
    "role" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "parts" JSONB NOT NULL DEFAULT '[]',
    "model" TEXT,
    "usage" JSONB,
    "error" TEXT,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "first_seq" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "message_views_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "message_views_conversation_id_first_seq_idx" ON "message_views"("conversation_id", "first_seq");

CREATE TABLE "queue_item_views" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "queue_item_views_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "queue_item_views_conversation_id_position_idx" ON "queue_item_views"("conversation_id", "position");

CREATE TABLE "usage_views" (
    "message_id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    "reasoning_tokens" INTEGER NOT NULL,
    "total_tokens" INTEGER NOT NULL,
    "cost" DECIMAL(18,8) NOT NULL,
    "source" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "usage_views_pkey" PRIMARY KEY ("message_id")
);
CREATE INDEX "usage_views_user_id_created_at_idx" ON "usage_views"("user_id", "created_at");

CREATE TABLE "projection_checkpoints" (
    "name" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    CONSTRAINT "projection_checkpoints_pkey" PRIMARY KEY ("name")
);
