-- The audit ledger is append-only (DESIGN.md §6): the database itself refuses UPDATE, DELETE and
-- TRUNCATE on ledger tables, whatever the application does. Dropping these triggers needs the
-- table owner, which the application's runtime role is not (docs/operations.md).

CREATE FUNCTION attest_refuse_ledger_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_append_only
  BEFORE UPDATE OR DELETE ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER audit_event_no_truncate
  BEFORE TRUNCATE ON "audit_event"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER checkpoint_append_only
  BEFORE UPDATE OR DELETE ON "checkpoint"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER checkpoint_no_truncate
  BEFORE TRUNCATE ON "checkpoint"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();

-- The ledger head row whose lock serialises appends; it only ever moves forward.
INSERT INTO "audit_ledger_head" ("id", "size") VALUES (1, 0);

CREATE FUNCTION attest_ledger_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.size <> OLD.size + 1 OR NEW.id <> OLD.id THEN
    RAISE EXCEPTION 'the audit ledger head only advances by one per event'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER audit_ledger_head_forward_only
  BEFORE UPDATE ON "audit_ledger_head"
  FOR EACH ROW EXECUTE FUNCTION attest_ledger_head_forward_only();

CREATE TRIGGER audit_ledger_head_no_delete
  BEFORE DELETE ON "audit_ledger_head"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();
