-- The transaction that stored each event. A reader that follows the whole store (the JetStream outbox, gRPC
-- Events.SubscribeAll) must never pass over an event whose transaction is still open: global_position comes from a
-- sequence, so a transaction can commit position 52 while 51 is still in flight. Rows whose transaction_id is below
-- pg_snapshot_xmin(pg_current_snapshot()) belong to finished transactions only; read in (transaction_id,
-- global_position) order below that horizon, the store is an append-only log that never grows behind a reader.
-- Existing rows all get this migration's transaction id (they are all committed).
ALTER TABLE "events" ADD COLUMN "transaction_id" xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX "events_transaction_id_global_position_idx" ON "events"("transaction_id", "global_position");
