-- Staged events live in a schema of their own, outside Prisma's datamodel: the constraint trigger
-- below is a pg_constraint row of a kind Prisma's schema describer cannot read, and the app never
-- touches the table except through attest_stage_audit_event. A reset (`prisma migrate reset`,
-- npm run db:reset) drops only the datamodel's schema, so a schema left over from before one goes first.
DROP SCHEMA IF EXISTS attest_ledger CASCADE;
CREATE SCHEMA attest_ledger;

CREATE TABLE attest_ledger."audit_event_pending" (
    "id" UUID NOT NULL,
    "leaf_prefix" TEXT NOT NULL,
    "leaf_middle" TEXT NOT NULL,
    "leaf_suffix" TEXT NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_label" TEXT,
    "actor_role" TEXT,
    "action" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT,
    "region_code" VARCHAR(2),
    "justification" TEXT,
    "changes" JSONB,
    "request_id" TEXT,
    "ip_address" TEXT,

    CONSTRAINT "audit_event_pending_pkey" PRIMARY KEY ("id")
);

-- ─── Sequencing at COMMIT (hand-written, ADR 004) ───────────────────────────────────────────────

-- The caller's transaction stages its event with one statement and no lock. At its COMMIT this
-- deferred trigger — still inside that transaction, with no client round trip left — takes the ledger
-- head's row lock, reads the database clock under it, completes the leaf (the canonical JSON the
-- application built, with the sequence number and time spliced in at their fixed places), hashes it
-- as an RFC 6962 leaf, stores the event, extends the tree and removes the staged row. The head lock is
-- therefore held only from here to the end of the commit: sequence numbers stay gapless (a rolled-back
-- transaction never fires it) and the tree grows in sequence order across every app instance.
CREATE FUNCTION attest_sequence_audit_event() RETURNS trigger
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
    subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash)
  VALUES (new_seq, NEW.id, new_time, NEW.actor_type, NEW.actor_id, NEW.actor_label, NEW.actor_role, NEW.action,
    NEW.subject_type, NEW.subject_id, NEW.region_code, NEW.justification, NEW.changes, NEW.request_id, NEW.ip_address, leaf);
  PERFORM attest_extend_ledger_tree(new_seq, leaf);
  DELETE FROM attest_ledger.audit_event_pending WHERE id = NEW.id;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER audit_event_pending_sequence
  AFTER INSERT ON attest_ledger."audit_event_pending"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION attest_sequence_audit_event();

-- The one statement appendAuditEvent sends: the staged row as one JSON object keyed by column name (one
-- bound parameter: the driver's per-parameter cost dominated the append). With "is_synchronous_commit"
-- false the transaction commits with synchronous_commit = off (AUDIT_SYNCHRONOUS_COMMIT, ADR 004).
CREATE FUNCTION attest_stage_audit_event(staged jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (staged->>'is_synchronous_commit')::boolean THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  INSERT INTO attest_ledger.audit_event_pending
    SELECT * FROM jsonb_populate_record(NULL::attest_ledger.audit_event_pending, staged);
END;
$$;

-- Replaced by the two above: appending under the lock took a client round trip inside it.
DROP FUNCTION attest_append_audit_event(text, text, text, uuid, text, text, text, text, text, text, text, varchar, text, jsonb, text, text, boolean);
