-- AlterTable
ALTER TABLE "audit_event" ADD COLUMN     "business_time" TIMESTAMPTZ(3),
ADD COLUMN     "tag" TEXT,
ADD COLUMN     "tag_key_id" TEXT;

-- AlterTable
ALTER TABLE "checkpoint" ADD COLUMN     "note" TEXT,
ADD COLUMN     "note_signature" TEXT,
ADD COLUMN     "number" BIGINT;

-- Checkpoints signed before format v2 are numbered in tree-size order (their signed bodies carry no
-- number; the first v2 checkpoint chains to the last of them). The only UPDATE the ledger ever sees.
ALTER TABLE "checkpoint" DISABLE TRIGGER checkpoint_append_only;
UPDATE "checkpoint" AS c SET "number" = numbered.n
  FROM (SELECT id, row_number() OVER (ORDER BY tree_size, id) AS n FROM "checkpoint") AS numbered
  WHERE numbered.id = c.id;
ALTER TABLE "checkpoint" ENABLE TRIGGER checkpoint_append_only;
ALTER TABLE "checkpoint" ALTER COLUMN "number" SET NOT NULL;

-- AlterTable
ALTER TABLE "signing_key" ADD COLUMN     "transition_body" TEXT,
ADD COLUMN     "transition_signature" TEXT;

-- CreateTable
CREATE TABLE "checkpoint_cosignature" (
    "id" UUID NOT NULL,
    "checkpoint_id" BIGINT NOT NULL,
    "witness_name" TEXT NOT NULL,
    "witness_key_id" TEXT NOT NULL,
    "cosigned_at" TIMESTAMPTZ(3) NOT NULL,
    "signature_line" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoint_cosignature_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "checkpoint_cosignature_witness_name_witness_key_id_checkpoi_idx" ON "checkpoint_cosignature"("witness_name", "witness_key_id", "checkpoint_id");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoint_cosignature_checkpoint_id_witness_name_witness_k_key" ON "checkpoint_cosignature"("checkpoint_id", "witness_name", "witness_key_id");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoint_number_key" ON "checkpoint"("number");

-- AddForeignKey
ALTER TABLE "checkpoint_cosignature" ADD CONSTRAINT "checkpoint_cosignature_checkpoint_id_fkey" FOREIGN KEY ("checkpoint_id") REFERENCES "checkpoint"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Leaf format v2 (hand-written, docs/ledger.md) ──────────────────────────────────────────────

-- The staged row carries the event's business time and its authentication tag; the leaf template the
-- application builds already holds them (the database only splices in the sequence number and time).
ALTER TABLE attest_ledger."audit_event_pending"
  ADD COLUMN "business_time" TIMESTAMPTZ(3),
  ADD COLUMN "tag_key_id" TEXT,
  ADD COLUMN "tag" TEXT;

CREATE OR REPLACE FUNCTION attest_sequence_audit_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  new_seq bigint;
  new_time timestamptz;
  leaf bytea;
BEGIN
  UPDATE audit_ledger_head AS head SET size = head.size + 1 WHERE head.id = 1
    RETURNING head.size, date_trunc('milliseconds', clock_timestamp()) INTO new_seq, new_time;
  IF new_seq IS NULL THEN
    RAISE EXCEPTION 'audit_ledger_head is missing: run the migrations';
  END IF;
  leaf := sha256('\x00'::bytea || convert_to(
    NEW.leaf_prefix || to_char(new_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || NEW.leaf_middle || new_seq::text || NEW.leaf_suffix,
    'UTF8'));
  INSERT INTO audit_event (seq, id, occurred_at, actor_type, actor_id, actor_label, actor_role, action, subject_type,
    subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash, business_time, tag_key_id, tag)
  VALUES (new_seq, NEW.id, new_time, NEW.actor_type, NEW.actor_id, NEW.actor_label, NEW.actor_role, NEW.action,
    NEW.subject_type, NEW.subject_id, NEW.region_code, NEW.justification, NEW.changes, NEW.request_id, NEW.ip_address, leaf,
    NEW.business_time, NEW.tag_key_id, NEW.tag);
  PERFORM attest_extend_ledger_tree(new_seq, leaf);
  DELETE FROM attest_ledger.audit_event_pending WHERE id = NEW.id;
  RETURN NULL;
END;
$$;

-- Cosignatures are evidence received from witnesses: kept as received, never changed or removed.
CREATE TRIGGER checkpoint_cosignature_append_only
  BEFORE UPDATE OR DELETE ON "checkpoint_cosignature"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER checkpoint_cosignature_no_truncate
  BEFORE TRUNCATE ON "checkpoint_cosignature"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();
