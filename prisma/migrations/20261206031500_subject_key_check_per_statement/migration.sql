-- The check that every key written to subject_data_key is wrapped under the active key-encryption key
-- (20261205220000_personal_data_encrypted_at_rest) ran once per row; ingestion inserts a thousand
-- customers' keys at once, and the per-row PL/pgSQL call was about half of that statement's time
-- (issue 14, "Speed"). The same rule, checked once per statement over the rows it wrote (transition
-- tables), with the same errors: a key needs a KEK id; a key wrapped under a KEK that is not active is
-- refused with HINT 'attest:retired-kek'. Destroying a key (setting it NULL) is always allowed; raw
-- legacy keys (kek_id NULL) may only go.

DROP TRIGGER "subject_data_key_wrapped_under_active_kek" ON "subject_data_key";
DROP FUNCTION attest_subject_key_wrapped_under_active_kek();

CREATE FUNCTION attest_subject_keys_wrapped_under_active_kek() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  refused record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT n.subject_id, n.kek_id INTO refused
      FROM written_keys n
     WHERE (n.data_key IS NOT NULL OR n.ledger_key IS NOT NULL)
       AND (n.kek_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM key_encryption_key k WHERE k.kid = n.kek_id AND k.retired_at IS NULL AND k.destroyed_at IS NULL))
     LIMIT 1;
  ELSE
    SELECT n.subject_id, n.kek_id INTO refused
      FROM written_keys n
      LEFT JOIN replaced_keys o ON o.subject_id = n.subject_id
     WHERE ((n.data_key IS NOT NULL AND (o.subject_id IS NULL OR n.data_key IS DISTINCT FROM o.data_key))
            OR (n.ledger_key IS NOT NULL AND (o.subject_id IS NULL OR n.ledger_key IS DISTINCT FROM o.ledger_key))
            OR o.subject_id IS NULL OR n.kek_id IS DISTINCT FROM o.kek_id)
       AND (n.kek_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM key_encryption_key k WHERE k.kid = n.kek_id AND k.retired_at IS NULL AND k.destroyed_at IS NULL))
     LIMIT 1;
  END IF;
  IF FOUND THEN
    IF refused.kek_id IS NULL THEN
      RAISE EXCEPTION 'subject_data_key %: a key must be wrapped under a key-encryption key (kek_id)', refused.subject_id
        USING ERRCODE = 'check_violation';
    END IF;
    RAISE EXCEPTION 'subject_data_key %: key-encryption key % is not the active one (retired by a rotation?)', refused.subject_id, refused.kek_id
      USING ERRCODE = 'check_violation', HINT = 'attest:retired-kek';
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "subject_data_key_inserted_under_active_kek"
  AFTER INSERT ON "subject_data_key"
  REFERENCING NEW TABLE AS written_keys
  FOR EACH STATEMENT EXECUTE FUNCTION attest_subject_keys_wrapped_under_active_kek();

CREATE TRIGGER "subject_data_key_updated_under_active_kek"
  AFTER UPDATE ON "subject_data_key"
  REFERENCING OLD TABLE AS replaced_keys NEW TABLE AS written_keys
  FOR EACH STATEMENT EXECUTE FUNCTION attest_subject_keys_wrapped_under_active_kek();
