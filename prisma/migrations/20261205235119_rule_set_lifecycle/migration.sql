-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "RuleSetVersionState" ADD VALUE 'withdrawn';
ALTER TYPE "RuleSetVersionState" ADD VALUE 'rejected';

-- AlterTable
ALTER TABLE "decision" ADD COLUMN     "rule_set_version_not_in_force" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "rule_set" ADD COLUMN     "next_version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "rule_set_version" ADD COLUMN     "backtest_parameters_hash" VARCHAR(64),
ADD COLUMN     "backtested_at" TIMESTAMPTZ(3),
ADD COLUMN     "based_on_version" INTEGER,
ADD COLUMN     "rejected_at" TIMESTAMPTZ(3),
ADD COLUMN     "rejection_reason" TEXT,
ADD COLUMN     "revision" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "submitted_by_id" UUID,
ADD COLUMN     "withdrawn_at" TIMESTAMPTZ(3);

-- AddForeignKey
ALTER TABLE "rule_set_version" ADD CONSTRAINT "rule_set_version_submitted_by_id_fkey" FOREIGN KEY ("submitted_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Issue 9 (ADR 010): the database itself keeps the rule-set lifecycle's invariants, whatever instance
-- or transaction writes.

-- Version numbers are handed out from rule_set.next_version and never given again.
UPDATE "rule_set" SET "next_version" = coalesce((SELECT max(v."version") + 1 FROM "rule_set_version" v WHERE v."rule_set_id" = "rule_set"."id"), 1);

-- At any instant exactly one version of a region's rule set is active: two activations racing on two
-- app instances cannot both commit.
CREATE UNIQUE INDEX "rule_set_version_one_active" ON "rule_set_version" ("rule_set_id") WHERE "state" = 'active';

-- Two approved (scheduled) versions of one region cannot take effect at the same instant.
CREATE UNIQUE INDEX "rule_set_version_one_per_effective_instant" ON "rule_set_version" ("rule_set_id", "effective_from") WHERE "state" IN ('approved', 'active');

-- An approved or active version has an approver and an effective time, and the approver is neither
-- the author nor the submitter (four-eyes, also for rows written outside the app). A trigger rather
-- than a CHECK constraint so that Prisma's schema diff (db:migration:check) can read the table.
CREATE FUNCTION "rule_set_version_four_eyes"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."state" IN ('approved', 'active') AND (
    NEW."approver_id" IS NULL OR NEW."effective_from" IS NULL
    OR NEW."approver_id" = NEW."author_id" OR NEW."approver_id" = NEW."submitted_by_id"
  ) THEN
    RAISE EXCEPTION 'rule-set version % v%: an approved version needs an approver other than its author and submitter, and an effective time', NEW."region_code", NEW."version"
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER "rule_set_version_four_eyes" BEFORE INSERT OR UPDATE ON "rule_set_version"
  FOR EACH ROW EXECUTE FUNCTION "rule_set_version_four_eyes"();

-- The explorer's filter and the compliance home's count of decisions citing a version not in force.
CREATE INDEX "decision_rule_set_version_not_in_force" ON "decision" ("region_code", "decided_at") WHERE "rule_set_version_not_in_force";
