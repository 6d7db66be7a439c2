-- CreateEnum
CREATE TYPE "PrivacyPendingAction" AS ENUM ('erasure_execution', 'refusal');

-- CreateEnum
CREATE TYPE "PrivacyArtefactKind" AS ENUM ('access_export', 'erasure_certificate');

-- AlterTable
ALTER TABLE "customer" ADD COLUMN     "objected_at" TIMESTAMPTZ(3),
ADD COLUMN     "restricted_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "privacy_request" ADD COLUMN     "approval_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "approval_requested_by_id" UUID,
ADD COLUMN     "approved_at" TIMESTAMPTZ(3),
ADD COLUMN     "approver_id" UUID,
ADD COLUMN     "complaint_right_notice" TEXT,
ADD COLUMN     "completed_by_id" UUID,
ADD COLUMN     "details" TEXT,
ADD COLUMN     "duplicate_of_id" UUID,
ADD COLUMN     "erasure_plan" JSONB,
ADD COLUMN     "extension_notified_at" TIMESTAMPTZ(3),
ADD COLUMN     "identity_verified_at" TIMESTAMPTZ(3),
ADD COLUMN     "identity_verified_by_id" UUID,
ADD COLUMN     "pending_action" "PrivacyPendingAction",
ADD COLUMN     "requester_email" TEXT,
ADD COLUMN     "requester_name" TEXT;

-- AlterTable
ALTER TABLE "review" ADD COLUMN     "approval_rejected_reason" TEXT,
ADD COLUMN     "assigned_at" TIMESTAMPTZ(3),
ADD COLUMN     "assignee_id" UUID,
ADD COLUMN     "escalated_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "privacy_request_pause" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "started_by_id" UUID NOT NULL,

    CONSTRAINT "privacy_request_pause_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "privacy_artefact" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "kind" "PrivacyArtefactKind" NOT NULL,
    "file_name" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    "size_bytes" INTEGER NOT NULL,
    "signature" TEXT NOT NULL,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "privacy_artefact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "retained_record" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "request_id" UUID,
    "category" TEXT NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "legal_basis" TEXT NOT NULL,
    "retain_until" TIMESTAMPTZ(3) NOT NULL,
    "restricted" BOOLEAN NOT NULL DEFAULT true,
    "erased_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "retained_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "decision_notice" (
    "id" UUID NOT NULL,
    "decision_id" UUID NOT NULL,
    "locale" VARCHAR(8) NOT NULL,
    "reason_codes" TEXT[],
    "content_sha256" TEXT NOT NULL,
    "generated_by_id" UUID,
    "generated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decision_notice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "privacy_request_pause_request_id_started_at_idx" ON "privacy_request_pause"("request_id", "started_at");

-- CreateIndex
CREATE INDEX "privacy_artefact_request_id_created_at_idx" ON "privacy_artefact"("request_id", "created_at");

-- CreateIndex
CREATE INDEX "retained_record_erased_at_retain_until_idx" ON "retained_record"("erased_at", "retain_until");

-- CreateIndex
CREATE INDEX "retained_record_customer_id_idx" ON "retained_record"("customer_id");

-- CreateIndex
CREATE INDEX "decision_notice_decision_id_generated_at_idx" ON "decision_notice"("decision_id", "generated_at");

-- CreateIndex
CREATE INDEX "review_assignee_id_status_idx" ON "review"("assignee_id", "status");

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_assignee_id_fkey" FOREIGN KEY ("assignee_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_identity_verified_by_id_fkey" FOREIGN KEY ("identity_verified_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_approval_requested_by_id_fkey" FOREIGN KEY ("approval_requested_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_approver_id_fkey" FOREIGN KEY ("approver_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_completed_by_id_fkey" FOREIGN KEY ("completed_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_duplicate_of_id_fkey" FOREIGN KEY ("duplicate_of_id") REFERENCES "privacy_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request_pause" ADD CONSTRAINT "privacy_request_pause_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request_pause" ADD CONSTRAINT "privacy_request_pause_started_by_id_fkey" FOREIGN KEY ("started_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_artefact" ADD CONSTRAINT "privacy_artefact_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_artefact" ADD CONSTRAINT "privacy_artefact_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "retained_record" ADD CONSTRAINT "retained_record_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "retained_record" ADD CONSTRAINT "retained_record_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision_notice" ADD CONSTRAINT "decision_notice_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision_notice" ADD CONSTRAINT "decision_notice_generated_by_id_fkey" FOREIGN KEY ("generated_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
