-- Personal data encrypted at rest (ADR 009). Columns that hold personal data change type in place, from
-- text to bytea holding the text's UTF-8 bytes; `npm run data:encrypt` then encrypts every value in
-- place under its subject's data key (a stored value starting with 0xA7 is ciphertext: UTF-8 text never
-- starts with that byte). Until it has run, the app reads such values as plain text and says so in the log.

-- CreateEnum
CREATE TYPE "SubjectKind" AS ENUM ('customer', 'requester');

-- The plain-text e-mail index goes: look-ups use keyed blind indexes.
DROP INDEX "customer_personal_data_email_idx";

ALTER TABLE "customer_personal_data"
  ALTER COLUMN "full_name" SET DATA TYPE BYTEA USING convert_to("full_name", 'UTF8'),
  ALTER COLUMN "email" SET DATA TYPE BYTEA USING convert_to("email", 'UTF8'),
  ALTER COLUMN "phone" SET DATA TYPE BYTEA USING convert_to("phone", 'UTF8'),
  ALTER COLUMN "date_of_birth" SET DATA TYPE BYTEA USING convert_to(to_char("date_of_birth", 'YYYY-MM-DD'), 'UTF8'),
  ALTER COLUMN "street" SET DATA TYPE BYTEA USING convert_to("street", 'UTF8'),
  ALTER COLUMN "postal_code" SET DATA TYPE BYTEA USING convert_to("postal_code", 'UTF8'),
  ALTER COLUMN "city" SET DATA TYPE BYTEA USING convert_to("city", 'UTF8'),
  ADD COLUMN "email_index" BYTEA,
  ADD COLUMN "phone_index" BYTEA;

ALTER TABLE "privacy_request"
  ALTER COLUMN "details" SET DATA TYPE BYTEA USING convert_to("details", 'UTF8'),
  ALTER COLUMN "requester_name" SET DATA TYPE BYTEA USING convert_to("requester_name", 'UTF8'),
  ALTER COLUMN "requester_email" SET DATA TYPE BYTEA USING convert_to("requester_email", 'UTF8'),
  ALTER COLUMN "refusal_reason" SET DATA TYPE BYTEA USING convert_to("refusal_reason", 'UTF8'),
  ALTER COLUMN "extension_reason" SET DATA TYPE BYTEA USING convert_to("extension_reason", 'UTF8'),
  ADD COLUMN "requester_email_index" BYTEA;

ALTER TABLE "privacy_request_note" ALTER COLUMN "body" SET DATA TYPE BYTEA USING convert_to("body", 'UTF8');
ALTER TABLE "privacy_request_pause" ALTER COLUMN "reason" SET DATA TYPE BYTEA USING convert_to("reason", 'UTF8');

-- subject_data_key: one row per data subject (a customer, or the requester of an unmatched request)
-- with two keys, each wrapped by a key-encryption key held outside the database. The existing keys were
-- the customers' ledger keys, still raw (kek_id NULL) until `npm run data:encrypt` wraps them.
ALTER TABLE "subject_data_key" DROP CONSTRAINT "subject_data_key_customer_id_fkey";
ALTER TABLE "subject_data_key" RENAME COLUMN "customer_id" TO "subject_id";
ALTER TABLE "subject_data_key" RENAME COLUMN "key_material" TO "ledger_key";
ALTER TABLE "subject_data_key" RENAME COLUMN "destroyed_at" TO "ledger_key_destroyed_at";
ALTER TABLE "subject_data_key"
  ADD COLUMN "subject_kind" "SubjectKind" NOT NULL DEFAULT 'customer',
  ADD COLUMN "kek_id" TEXT,
  ADD COLUMN "data_key" BYTEA,
  ADD COLUMN "rewrapped_at" TIMESTAMPTZ(3),
  ADD COLUMN "data_key_destroyed_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "key_encryption_key" (
    "kid" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "activated_at" TIMESTAMPTZ(3) NOT NULL,
    "retired_at" TIMESTAMPTZ(3),
    "destroyed_at" TIMESTAMPTZ(3),

    CONSTRAINT "key_encryption_key_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE INDEX "customer_personal_data_email_index_idx" ON "customer_personal_data"("email_index");

-- CreateIndex
CREATE INDEX "customer_personal_data_phone_index_idx" ON "customer_personal_data"("phone_index");

-- CreateIndex
CREATE INDEX "privacy_request_requester_email_index_idx" ON "privacy_request"("requester_email_index");

-- CreateIndex
CREATE INDEX "subject_data_key_kek_id_idx" ON "subject_data_key"("kek_id");

-- A key written (inserted, or replaced) must be wrapped under a known key-encryption key that is not
-- retired: an app instance that missed a rotation cannot wrap new keys under a KEK about to be destroyed.
-- Destroying a key (setting it NULL) is always allowed. Raw legacy keys (kek_id NULL) may only go.
CREATE FUNCTION attest_subject_key_wrapped_under_active_kek() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.data_key IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.data_key IS DISTINCT FROM OLD.data_key))
     OR (NEW.ledger_key IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.ledger_key IS DISTINCT FROM OLD.ledger_key))
     OR (TG_OP = 'UPDATE' AND NEW.kek_id IS DISTINCT FROM OLD.kek_id) THEN
    IF NEW.kek_id IS NULL THEN
      RAISE EXCEPTION 'subject_data_key %: a key must be wrapped under a key-encryption key (kek_id)', NEW.subject_id
        USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM key_encryption_key WHERE kid = NEW.kek_id AND retired_at IS NULL AND destroyed_at IS NULL) THEN
      RAISE EXCEPTION 'subject_data_key %: key-encryption key % is not the active one (retired by a rotation?)', NEW.subject_id, NEW.kek_id
        USING ERRCODE = 'check_violation', HINT = 'attest:retired-kek';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER subject_data_key_wrapped_under_active_kek
  BEFORE INSERT OR UPDATE ON "subject_data_key"
  FOR EACH ROW EXECUTE FUNCTION attest_subject_key_wrapped_under_active_kek();
