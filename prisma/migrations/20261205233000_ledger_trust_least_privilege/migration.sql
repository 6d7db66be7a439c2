-- Issue 12 (docs/ledger.md "Threat model", docs/operations.md "Database roles"): the ledger's tables
-- are written only through its own functions, and the application's runtime role holds no other write
-- privilege on them.
--
-- 1. Triggers refuse INSERT outside the append path and TRUNCATE on every ledger table, including the
--    head; signing_key rows may only be registered staged and then move forward (activated once,
--    retired once, their transition statement written once), never be deleted or overwritten.
-- 2. The functions that write the ledger run as their owner (SECURITY DEFINER, fixed search_path).
-- 3. Role attest_runtime (NOLOGIN; the app's login role is made a member of it) may read everything,
--    write the ordinary tables, stage events and call the ledger functions — and nothing else on the
--    ledger. It owns nothing, so it cannot drop or disable a trigger; it is not a superuser, so it
--    cannot set session_replication_role. The migrating role stays the owner.

-- ─── Append-path guards ─────────────────────────────────────────────────────────────────────────

-- Events and tree nodes are inserted only by attest_sequence_audit_event, itself a trigger: a row
-- inserted by any other statement arrives at trigger depth 1 and is refused.
CREATE FUNCTION attest_refuse_direct_ledger_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'the audit ledger is written only through its append path: INSERT into % is refused', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER audit_event_append_path_only
  BEFORE INSERT ON "audit_event"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_direct_ledger_insert();

CREATE TRIGGER audit_tree_node_append_path_only
  BEFORE INSERT ON "audit_tree_node"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_direct_ledger_insert();

CREATE TRIGGER audit_ledger_head_no_truncate
  BEFORE TRUNCATE ON "audit_ledger_head"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER audit_ledger_head_no_insert
  BEFORE INSERT ON "audit_ledger_head"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

-- A checkpoint is inserted only as the next link of the chain: the next number, a larger tree no
-- larger than the head, signed by the active key.
CREATE FUNCTION attest_checkpoint_next_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_number bigint;
  last_size bigint;
  head_size bigint;
BEGIN
  SELECT number, tree_size INTO last_number, last_size FROM checkpoint ORDER BY number DESC LIMIT 1;
  SELECT size INTO head_size FROM audit_ledger_head WHERE id = 1;
  IF NEW.number <> coalesce(last_number, 0) + 1 OR NEW.tree_size <= coalesce(last_size, -1) OR NEW.tree_size > head_size THEN
    RAISE EXCEPTION 'a checkpoint is only ever the next one: number % after %, tree size % after % (head %)', NEW.number, last_number, NEW.tree_size, last_size, head_size
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM signing_key WHERE id = NEW.signing_key_id AND activated_at IS NOT NULL AND retired_at IS NULL) THEN
    RAISE EXCEPTION 'a checkpoint is signed by the active signing key only'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER checkpoint_next_only
  BEFORE INSERT ON "checkpoint"
  FOR EACH ROW EXECUTE FUNCTION attest_checkpoint_next_only();

-- Signing keys: registered staged; then each of activated_at, retired_at and the transition is set once.
CREATE FUNCTION attest_signing_key_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.activated_at IS NOT NULL OR NEW.retired_at IS NOT NULL OR NEW.transition_body IS NOT NULL OR NEW.transition_signature IS NOT NULL THEN
      RAISE EXCEPTION 'a signing key is registered staged (not active, not retired, no transition)'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id <> OLD.id OR NEW.fingerprint <> OLD.fingerprint OR NEW.armored_public_key <> OLD.armored_public_key OR NEW.algorithm <> OLD.algorithm OR NEW.created_at <> OLD.created_at
     OR (OLD.activated_at IS NOT NULL AND NEW.activated_at IS DISTINCT FROM OLD.activated_at)
     OR (OLD.retired_at IS NOT NULL AND NEW.retired_at IS DISTINCT FROM OLD.retired_at)
     OR (NEW.retired_at IS NOT NULL AND NEW.activated_at IS NULL)
     OR (OLD.transition_body IS NOT NULL AND NEW.transition_body IS DISTINCT FROM OLD.transition_body)
     OR (OLD.transition_signature IS NOT NULL AND NEW.transition_signature IS DISTINCT FROM OLD.transition_signature) THEN
    RAISE EXCEPTION 'a signing key only moves forward: staged, activated once, retired once; its key and transition never change'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER signing_key_forward_only
  BEFORE INSERT OR UPDATE ON "signing_key"
  FOR EACH ROW EXECUTE FUNCTION attest_signing_key_forward_only();

CREATE TRIGGER signing_key_no_delete
  BEFORE DELETE ON "signing_key"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER signing_key_no_truncate
  BEFORE TRUNCATE ON "signing_key"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();

-- ─── The ledger's write functions run as their owner ───────────────────────────────────────────

ALTER FUNCTION attest_sequence_audit_event() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION attest_extend_ledger_tree(bigint, bytea) SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION attest_stage_audit_event(jsonb) SECURITY DEFINER SET search_path = public, pg_temp;

-- The checkpoint signer, the key registry and the witnesses' cosignatures: the only ways the runtime
-- role writes those tables.
CREATE FUNCTION attest_record_checkpoint(p_number bigint, p_tree_size bigint, p_root_hash bytea, p_created_at timestamptz, p_signing_key_id uuid,
  p_body text, p_signature text, p_note text, p_note_signature text) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO checkpoint (number, tree_size, root_hash, created_at, signing_key_id, body, signature, note, note_signature)
  VALUES (p_number, p_tree_size, p_root_hash, p_created_at, p_signing_key_id, p_body, p_signature, p_note, p_note_signature)
  RETURNING id;
$$;

CREATE FUNCTION attest_register_signing_key(p_fingerprint text, p_algorithm text, p_armored_public_key text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO signing_key (id, fingerprint, algorithm, armored_public_key)
  VALUES (gen_random_uuid(), p_fingerprint, p_algorithm, p_armored_public_key)
  ON CONFLICT (fingerprint) DO NOTHING;
$$;

-- Activates a staged key at p_at, retiring the active one at the same instant (a rotation; then the
-- transition statement signed by the outgoing key is required) or none (a ledger's first key).
CREATE FUNCTION attest_activate_signing_key(p_key_id uuid, p_at timestamptz, p_transition_body text, p_transition_signature text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  active_id uuid;
BEGIN
  SELECT id INTO active_id FROM signing_key WHERE activated_at IS NOT NULL AND retired_at IS NULL ORDER BY activated_at DESC LIMIT 1 FOR UPDATE;
  IF active_id = p_key_id THEN
    RAISE EXCEPTION 'that key is already active';
  END IF;
  IF active_id IS NOT NULL AND (p_transition_body IS NULL OR p_transition_signature IS NULL) THEN
    RAISE EXCEPTION 'a rotation needs the transition statement signed by the outgoing key';
  END IF;
  IF active_id IS NULL AND EXISTS (SELECT 1 FROM signing_key WHERE activated_at IS NOT NULL) THEN
    RAISE EXCEPTION 'a retired ledger key cannot be followed without a transition';
  END IF;
  IF active_id IS NOT NULL THEN
    UPDATE signing_key SET retired_at = p_at WHERE id = active_id;
  END IF;
  UPDATE signing_key SET activated_at = p_at, transition_body = p_transition_body, transition_signature = p_transition_signature
    WHERE id = p_key_id AND activated_at IS NULL AND retired_at IS NULL;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'only a staged key can be activated';
  END IF;
END;
$$;

CREATE FUNCTION attest_record_cosignature(p_checkpoint_id bigint, p_witness_name text, p_witness_key_id text, p_cosigned_at timestamptz, p_signature_line text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO checkpoint_cosignature (id, checkpoint_id, witness_name, witness_key_id, cosigned_at, signature_line)
  VALUES (gen_random_uuid(), p_checkpoint_id, p_witness_name, p_witness_key_id, p_cosigned_at, p_signature_line)
  ON CONFLICT (checkpoint_id, witness_name, witness_key_id) DO NOTHING;
$$;

-- ─── The runtime role ───────────────────────────────────────────────────────────────────────────

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attest_runtime') THEN
    CREATE ROLE attest_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'could not create role attest_runtime (the migrating role lacks CREATEROLE): create it as docs/operations.md shows';
END;
$$;

DO $$
DECLARE
  ledger_tables text[] := ARRAY['audit_event', 'audit_tree_node', 'audit_ledger_head', 'checkpoint', 'checkpoint_cosignature', 'signing_key'];
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'attest_runtime') THEN
    RETURN;
  END IF;
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO attest_runtime', current_database());
  GRANT USAGE ON SCHEMA public TO attest_runtime;
  GRANT USAGE ON SCHEMA attest_ledger TO attest_runtime;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO attest_runtime;
  GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO attest_runtime;
  -- Tables later migrations create (as the same owner) get the same grants.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO attest_runtime;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO attest_runtime;
  -- The ledger: read only; written through the functions above.
  FOREACH t IN ARRAY ledger_tables LOOP
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %I FROM attest_runtime', t);
    EXECUTE format('GRANT SELECT ON %I TO attest_runtime', t);
  END LOOP;
  REVOKE ALL ON ALL TABLES IN SCHEMA attest_ledger FROM attest_runtime;
  REVOKE EXECUTE ON FUNCTION attest_extend_ledger_tree(bigint, bytea) FROM PUBLIC;
  REVOKE EXECUTE ON FUNCTION attest_sequence_audit_event() FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION attest_stage_audit_event(jsonb) TO attest_runtime;
  GRANT EXECUTE ON FUNCTION attest_record_checkpoint(bigint, bigint, bytea, timestamptz, uuid, text, text, text, text) TO attest_runtime;
  GRANT EXECUTE ON FUNCTION attest_register_signing_key(text, text, text) TO attest_runtime;
  GRANT EXECUTE ON FUNCTION attest_activate_signing_key(uuid, timestamptz, text, text) TO attest_runtime;
  GRANT EXECUTE ON FUNCTION attest_record_cosignature(bigint, text, text, timestamptz, text) TO attest_runtime;
END;
$$;
