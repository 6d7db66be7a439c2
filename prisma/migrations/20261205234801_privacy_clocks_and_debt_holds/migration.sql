-- AlterTable
ALTER TABLE "privacy_request" ADD COLUMN     "fee_received_at" TIMESTAMPTZ(3),
ADD COLUMN     "identity_information_received_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "retained_record" ADD COLUMN     "debt_settled_at" TIMESTAMPTZ(3),
ADD COLUMN     "until_debt_settled_keep" TEXT,
ALTER COLUMN "retain_until" DROP NOT NULL;
