-- One statement appends an audit event (DESIGN.md §6): it takes the ledger head's row lock, reads the
-- database clock under it, completes the leaf — the canonical JSON the application built, with the
-- sequence number and time spliced in at their fixed places — hashes it as an RFC 6962 leaf, stores
-- the event and extends the tree. The lock is held from here to the end of the caller's transaction,
-- so a single round trip inside that window keeps concurrent writers moving (ADR 004).
CREATE FUNCTION attest_append_audit_event(
  leaf_prefix text, leaf_middle text, leaf_suffix text,
  event_id uuid, actor_type text, actor_id text, actor_label text, actor_role text, action text,
  subject_type text, subject_id text, region_code varchar, justification text, changes jsonb,
  request_id text, ip_address text, is_synchronous_commit boolean
) RETURNS TABLE (appended_seq bigint, appended_at timestamptz, appended_leaf bytea)
LANGUAGE plpgsql AS $$
DECLARE
  new_seq bigint;
  new_time timestamptz;
  leaf bytea;
BEGIN
  IF NOT is_synchronous_commit THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  UPDATE audit_ledger_head AS head SET size = head.size + 1 WHERE head.id = 1
    RETURNING head.size, date_trunc('milliseconds', clock_timestamp()) INTO new_seq, new_time;
  IF new_seq IS NULL THEN
    RAISE EXCEPTION 'audit_ledger_head is missing: run the migrations';
  END IF;
  leaf := sha256('\x00'::bytea || convert_to(
    leaf_prefix || to_char(new_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || leaf_middle || new_seq::text || leaf_suffix,
    'UTF8'));
  INSERT INTO audit_event AS e (seq, id, occurred_at, actor_type, actor_id, actor_label, actor_role, action, subject_type,
    subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash)
  VALUES (new_seq, event_id, new_time, actor_type, actor_id, actor_label, actor_role, action, subject_type,
    subject_id, region_code, justification, changes, request_id, ip_address, leaf);
  PERFORM attest_extend_ledger_tree(new_seq, leaf);
  RETURN QUERY SELECT new_seq, new_time, leaf;
END;
$$;
