-- AlterTable
ALTER TABLE "privacy_request" ADD COLUMN     "fee_received_at" TIMESTAMPTZ(3),
ADD COLUMN     "identity_information_received_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "retained_record" ADD COLUMN     "debt_settled_at" TIMESTAMPTZ(3),
ADD COLUMN     "until_debt_settled_keep" TEXT,
ALTER COLUMN "retain_until" DROP NOT NULL;

-- Issue 14: destroying a key updates its row in place (no indexed column changes), so with room left in
-- each page the new version stays on the same page (a HOT update) and the old one, holding the wrapped
-- key, is pruned by the next access to that page as well as by the VACUUM run right after an erasure.
ALTER TABLE "subject_data_key" SET (fillfactor = 70);

-- UK GDPR Art. 12A: the clock runs from receipt until identity information asked for arrives; requests
-- logged before waited with no clock at all. Their due date was already counted from receipt.
UPDATE "privacy_request" SET "clock_started_at" = "received_at" WHERE "clock_started_at" IS NULL;
