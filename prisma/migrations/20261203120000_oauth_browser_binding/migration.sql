-- The browser (or, later, the session) an authorization was started from: the sha256 of the opaque binding value the
-- gateway keeps in the harness_oauth_binding cookie. Only a callback carrying the same value completes the state.
-- Null: started without a browser (the broker's reconnect prompts); bound by the user's next start, else refused.
ALTER TABLE "oauth_states" ADD COLUMN "binding_hash" TEXT;

-- Starts in progress (discovery and registration take several outbound requests): they count towards the per-user
-- cap on pending authorizations together with the pending states, so concurrent starts cannot all pass it.
CREATE TABLE "oauth_start_reservations" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oauth_start_reservations_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "oauth_start_reservations_user_id_idx" ON "oauth_start_reservations"("user_id");
