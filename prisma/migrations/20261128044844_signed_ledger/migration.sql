-- CreateEnum
CREATE TYPE "SigningKeyRotationState" AS ENUM ('pending', 'approved', 'rejected', 'cancelled');

-- CreateEnum
CREATE TYPE "LedgerVerificationState" AS ENUM ('running', 'passed', 'failed', 'error');

-- DropIndex
DROP INDEX "checkpoint_tree_size_idx";

-- AlterTable
ALTER TABLE "checkpoint" ADD COLUMN     "body" TEXT NOT NULL;

-- CreateTable
CREATE TABLE "audit_tree_node" (
    "level" SMALLINT NOT NULL,
    "index" BIGINT NOT NULL,
    "tree_size" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_tree_node_pkey" PRIMARY KEY ("level","index")
);

-- CreateTable
CREATE TABLE "signing_key_rotation" (
    "id" UUID NOT NULL,
    "from_key_id" UUID,
    "to_key_id" UUID NOT NULL,
    "state" "SigningKeyRotationState" NOT NULL DEFAULT 'pending',
    "justification" TEXT NOT NULL,
    "requested_by_id" UUID NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by_id" UUID,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "signing_key_rotation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_verification" (
    "id" UUID NOT NULL,
    "requested_by_id" UUID,
    "state" "LedgerVerificationState" NOT NULL DEFAULT 'running',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "total_events" BIGINT NOT NULL DEFAULT 0,
    "checked_events" BIGINT NOT NULL DEFAULT 0,
    "checked_checkpoints" INTEGER NOT NULL DEFAULT 0,
    "failure" JSONB,

    CONSTRAINT "ledger_verification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_tree_node_tree_size_level_idx" ON "audit_tree_node"("tree_size", "level");

-- CreateIndex
CREATE INDEX "signing_key_rotation_state_idx" ON "signing_key_rotation"("state");

-- CreateIndex
CREATE INDEX "ledger_verification_started_at_idx" ON "ledger_verification"("started_at");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoint_tree_size_key" ON "checkpoint"("tree_size");

-- AddForeignKey
ALTER TABLE "signing_key_rotation" ADD CONSTRAINT "signing_key_rotation_from_key_id_fkey" FOREIGN KEY ("from_key_id") REFERENCES "signing_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "signing_key_rotation" ADD CONSTRAINT "signing_key_rotation_to_key_id_fkey" FOREIGN KEY ("to_key_id") REFERENCES "signing_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Ledger tree (hand-written) ─────────────────────────────────────────────────────────────────

-- The stored tree is append-only, like the events it hashes.
CREATE TRIGGER audit_tree_node_append_only
  BEFORE UPDATE OR DELETE ON "audit_tree_node"
  FOR EACH ROW EXECUTE FUNCTION attest_refuse_ledger_change();

CREATE TRIGGER audit_tree_node_no_truncate
  BEFORE TRUNCATE ON "audit_tree_node"
  FOR EACH STATEMENT EXECUTE FUNCTION attest_refuse_ledger_change();

-- Extends the RFC 6962 tree by the leaf that makes it `new_size` leaves: every perfect subtree that
-- this leaf completes is stored, node = SHA-256(0x01 ‖ left ‖ right). Called by the audit entry point
-- in the transaction that appends the event, after the ledger head's row lock has been taken, so
-- trees are extended strictly in sequence order by every app instance.
CREATE FUNCTION attest_extend_ledger_tree(new_size bigint, leaf bytea) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  node_level smallint := 0;
  node_index bigint := new_size - 1;
  node_hash bytea := leaf;
  sibling bytea;
  stored integer := 0;
BEGIN
  WHILE node_index % 2 = 1 LOOP
    IF node_level = 0 THEN
      -- Level 0 is the events' own leaf hashes; leaf index i is seq i + 1.
      SELECT leaf_hash INTO sibling FROM audit_event WHERE seq = node_index;
    ELSE
      SELECT hash INTO sibling FROM audit_tree_node WHERE level = node_level AND index = node_index - 1;
    END IF;
    IF sibling IS NULL THEN
      RAISE EXCEPTION 'ledger tree is missing the node at level % index %', node_level, node_index - 1;
    END IF;
    node_hash := sha256('\x01'::bytea || sibling || node_hash);
    node_level := node_level + 1;
    node_index := node_index / 2;
    INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES (node_level, node_index, new_size, node_hash);
    stored := stored + 1;
  END LOOP;
  RETURN stored;
END;
$$;
