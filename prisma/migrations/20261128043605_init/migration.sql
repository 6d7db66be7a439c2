-- CreateEnum
CREATE TYPE "Role" AS ENUM ('compliance_officer', 'regional_ops_manager', 'fraud_analyst', 'dpo', 'auditor', 'admin');

-- CreateEnum
CREATE TYPE "DecisionKind" AS ENUM ('credit', 'limit', 'fraud');

-- CreateEnum
CREATE TYPE "DecisionOutcome" AS ENUM ('approved', 'declined', 'referred', 'fraud_hold');

-- CreateEnum
CREATE TYPE "ReviewState" AS ENUM ('not_required', 'queued', 'in_review', 'awaiting_approval', 'upheld', 'overturned');

-- CreateEnum
CREATE TYPE "ReviewTrigger" AS ENUM ('referral', 'fraud_hold', 'grey_band', 'contest', 'sample');

-- CreateEnum
CREATE TYPE "ReviewStatus" AS ENUM ('open', 'claimed', 'awaiting_approval', 'closed');

-- CreateEnum
CREATE TYPE "ReviewVerdict" AS ENUM ('upheld', 'overturned');

-- CreateEnum
CREATE TYPE "InstallmentStatus" AS ENUM ('current', 'late_30', 'default_90', 'repaid');

-- CreateEnum
CREATE TYPE "FraudOutcomeKind" AS ENUM ('confirmed_fraud', 'cleared', 'chargeback');

-- CreateEnum
CREATE TYPE "PrivacyRequestType" AS ENUM ('access', 'erasure', 'rectification', 'restriction', 'objection', 'portability', 'contest');

-- CreateEnum
CREATE TYPE "PrivacyRequestState" AS ENUM ('received', 'identity_pending', 'in_progress', 'scope_clarification', 'awaiting_approval', 'completed', 'refused');

-- CreateEnum
CREATE TYPE "IdentityVerificationState" AS ENUM ('unverified', 'pending', 'verified', 'failed');

-- CreateEnum
CREATE TYPE "RuleSetVersionState" AS ENUM ('draft', 'submitted', 'approved', 'active', 'retired');

-- CreateEnum
CREATE TYPE "EvidencePackState" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "region" (
    "code" VARCHAR(2) NOT NULL,
    "name" TEXT NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "locale" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "privacy_regime" TEXT NOT NULL,

    CONSTRAINT "region_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "staff_user" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "password_hash" TEXT NOT NULL,
    "totp_secret" TEXT,
    "totp_enrolled_at" TIMESTAMPTZ(3),
    "totp_last_step" BIGINT,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "staff_region" (
    "user_id" UUID NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,

    CONSTRAINT "staff_region_pkey" PRIMARY KEY ("user_id","region_code")
);

-- CreateTable
CREATE TABLE "staff_session" (
    "id" VARCHAR(64) NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "mfa_verified_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "ip_address" TEXT,
    "user_agent" TEXT,

    CONSTRAINT "staff_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "login_attempt" (
    "id" BIGSERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "ip_address" TEXT NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "succeeded" BOOLEAN NOT NULL,

    CONSTRAINT "login_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_token" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "regions" VARCHAR(2)[],
    "scopes" TEXT[],
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer" (
    "id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "is_restricted" BOOLEAN NOT NULL DEFAULT false,
    "erased_at" TIMESTAMPTZ(3),

    CONSTRAINT "customer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer_personal_data" (
    "customer_id" UUID NOT NULL,
    "full_name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "date_of_birth" DATE NOT NULL,
    "street" TEXT NOT NULL,
    "postal_code" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "country" VARCHAR(2) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_personal_data_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "subject_data_key" (
    "customer_id" UUID NOT NULL,
    "key_material" BYTEA,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "destroyed_at" TIMESTAMPTZ(3),

    CONSTRAINT "subject_data_key_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "decision" (
    "id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "kind" "DecisionKind" NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "model_name" TEXT NOT NULL,
    "model_version" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "outcome" "DecisionOutcome" NOT NULL,
    "amount" DECIMAL(14,2) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "features" JSONB NOT NULL,
    "rule_set_version_id" UUID,
    "decided_at" TIMESTAMPTZ(3) NOT NULL,
    "ingested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "review_state" "ReviewState" NOT NULL DEFAULT 'not_required',

    CONSTRAINT "decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "decision_reason" (
    "decision_id" UUID NOT NULL,
    "position" SMALLINT NOT NULL,
    "code" VARCHAR(16) NOT NULL,
    "contribution" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "decision_reason_pkey" PRIMARY KEY ("decision_id","position")
);

-- CreateTable
CREATE TABLE "review" (
    "id" UUID NOT NULL,
    "decision_id" UUID NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "trigger" "ReviewTrigger" NOT NULL,
    "status" "ReviewStatus" NOT NULL DEFAULT 'open',
    "priority" SMALLINT NOT NULL DEFAULT 100,
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "claimed_by_id" UUID,
    "claimed_at" TIMESTAMPTZ(3),
    "reviewer_id" UUID,
    "verdict" "ReviewVerdict",
    "verdict_reason" TEXT,
    "justification" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "approver_id" UUID,
    "approved_at" TIMESTAMPTZ(3),
    "closed_at" TIMESTAMPTZ(3),
    "privacy_request_id" UUID,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "review_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "repayment_outcome" (
    "id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "decision_id" UUID NOT NULL,
    "status" "InstallmentStatus" NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "outstanding_amount" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "repayment_outcome_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fraud_outcome" (
    "id" UUID NOT NULL,
    "external_id" TEXT NOT NULL,
    "decision_id" UUID NOT NULL,
    "outcome" "FraudOutcomeKind" NOT NULL,
    "reported_at" TIMESTAMPTZ(3) NOT NULL,
    "loss_amount" DECIMAL(14,2),

    CONSTRAINT "fraud_outcome_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "privacy_request" (
    "id" UUID NOT NULL,
    "reference" TEXT NOT NULL,
    "type" "PrivacyRequestType" NOT NULL,
    "customer_id" UUID,
    "decision_id" UUID,
    "region_code" VARCHAR(2) NOT NULL,
    "regime" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,
    "clock_started_at" TIMESTAMPTZ(3),
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "extended_due_at" TIMESTAMPTZ(3),
    "extension_reason" TEXT,
    "identity_state" "IdentityVerificationState" NOT NULL DEFAULT 'unverified',
    "identity_evidence" JSONB,
    "state" "PrivacyRequestState" NOT NULL DEFAULT 'received',
    "assignee_id" UUID,
    "refusal_reason" TEXT,
    "completed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "privacy_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "privacy_request_note" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "author_id" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "privacy_request_note_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rule_set" (
    "id" UUID NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rule_set_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rule_set_version" (
    "id" UUID NOT NULL,
    "rule_set_id" UUID NOT NULL,
    "region_code" VARCHAR(2) NOT NULL,
    "version" INTEGER NOT NULL,
    "state" "RuleSetVersionState" NOT NULL DEFAULT 'draft',
    "parameters" JSONB NOT NULL,
    "change_note" TEXT,
    "author_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "submitted_at" TIMESTAMPTZ(3),
    "approver_id" UUID,
    "approved_at" TIMESTAMPTZ(3),
    "effective_from" TIMESTAMPTZ(3),
    "retired_at" TIMESTAMPTZ(3),
    "backtest" JSONB,

    CONSTRAINT "rule_set_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "seq" BIGINT NOT NULL,
    "id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_label" TEXT,
    "actor_role" TEXT,
    "action" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT,
    "region_code" VARCHAR(2),
    "justification" TEXT,
    "changes" JSONB,
    "request_id" TEXT,
    "ip_address" TEXT,
    "leaf_hash" BYTEA,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "audit_ledger_head" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "size" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "audit_ledger_head_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_key" (
    "id" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "armored_public_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "signing_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "checkpoint" (
    "id" BIGSERIAL NOT NULL,
    "tree_size" BIGINT NOT NULL,
    "root_hash" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "signing_key_id" UUID NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "checkpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "evidence_pack" (
    "id" UUID NOT NULL,
    "requested_by_id" UUID NOT NULL,
    "scope" JSONB NOT NULL,
    "state" "EvidencePackState" NOT NULL DEFAULT 'queued',
    "progress" SMALLINT NOT NULL DEFAULT 0,
    "file_name" TEXT,
    "sha256" TEXT,
    "size_bytes" BIGINT,
    "signature" TEXT,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "evidence_pack_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "staff_user_email_key" ON "staff_user"("email");

-- CreateIndex
CREATE INDEX "staff_user_role_idx" ON "staff_user"("role");

-- CreateIndex
CREATE INDEX "staff_region_region_code_idx" ON "staff_region"("region_code");

-- CreateIndex
CREATE INDEX "staff_session_user_id_idx" ON "staff_session"("user_id");

-- CreateIndex
CREATE INDEX "login_attempt_email_attempted_at_idx" ON "login_attempt"("email", "attempted_at");

-- CreateIndex
CREATE INDEX "login_attempt_ip_address_attempted_at_idx" ON "login_attempt"("ip_address", "attempted_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "customer_reference_key" ON "customer"("reference");

-- CreateIndex
CREATE INDEX "customer_region_code_idx" ON "customer"("region_code");

-- CreateIndex
CREATE INDEX "customer_personal_data_email_idx" ON "customer_personal_data"("email");

-- CreateIndex
CREATE UNIQUE INDEX "decision_external_id_key" ON "decision"("external_id");

-- CreateIndex
CREATE INDEX "decision_region_code_decided_at_id_idx" ON "decision"("region_code", "decided_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "decision_decided_at_id_idx" ON "decision"("decided_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "decision_region_code_kind_outcome_decided_at_idx" ON "decision"("region_code", "kind", "outcome", "decided_at");

-- CreateIndex
CREATE INDEX "decision_model_name_model_version_decided_at_idx" ON "decision"("model_name", "model_version", "decided_at");

-- CreateIndex
CREATE INDEX "decision_customer_id_decided_at_idx" ON "decision"("customer_id", "decided_at");

-- CreateIndex
CREATE INDEX "decision_review_state_region_code_idx" ON "decision"("review_state", "region_code");

-- CreateIndex
CREATE INDEX "decision_reason_code_decision_id_idx" ON "decision_reason"("code", "decision_id");

-- CreateIndex
CREATE INDEX "review_status_region_code_priority_due_at_idx" ON "review"("status", "region_code", "priority", "due_at");

-- CreateIndex
CREATE INDEX "review_decision_id_idx" ON "review"("decision_id");

-- CreateIndex
CREATE INDEX "review_reviewer_id_decided_at_idx" ON "review"("reviewer_id", "decided_at");

-- CreateIndex
CREATE UNIQUE INDEX "repayment_outcome_external_id_key" ON "repayment_outcome"("external_id");

-- CreateIndex
CREATE INDEX "repayment_outcome_decision_id_observed_at_idx" ON "repayment_outcome"("decision_id", "observed_at");

-- CreateIndex
CREATE INDEX "repayment_outcome_status_observed_at_idx" ON "repayment_outcome"("status", "observed_at");

-- CreateIndex
CREATE UNIQUE INDEX "fraud_outcome_external_id_key" ON "fraud_outcome"("external_id");

-- CreateIndex
CREATE INDEX "fraud_outcome_decision_id_idx" ON "fraud_outcome"("decision_id");

-- CreateIndex
CREATE INDEX "fraud_outcome_outcome_reported_at_idx" ON "fraud_outcome"("outcome", "reported_at");

-- CreateIndex
CREATE UNIQUE INDEX "privacy_request_reference_key" ON "privacy_request"("reference");

-- CreateIndex
CREATE INDEX "privacy_request_state_due_at_idx" ON "privacy_request"("state", "due_at");

-- CreateIndex
CREATE INDEX "privacy_request_region_code_state_due_at_idx" ON "privacy_request"("region_code", "state", "due_at");

-- CreateIndex
CREATE INDEX "privacy_request_customer_id_idx" ON "privacy_request"("customer_id");

-- CreateIndex
CREATE INDEX "privacy_request_note_request_id_created_at_idx" ON "privacy_request_note"("request_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "rule_set_region_code_key" ON "rule_set"("region_code");

-- CreateIndex
CREATE INDEX "rule_set_version_region_code_state_idx" ON "rule_set_version"("region_code", "state");

-- CreateIndex
CREATE UNIQUE INDEX "rule_set_version_rule_set_id_version_key" ON "rule_set_version"("rule_set_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_id_key" ON "audit_event"("id");

-- CreateIndex
CREATE INDEX "audit_event_occurred_at_idx" ON "audit_event"("occurred_at");

-- CreateIndex
CREATE INDEX "audit_event_actor_id_occurred_at_idx" ON "audit_event"("actor_id", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_event_subject_type_subject_id_idx" ON "audit_event"("subject_type", "subject_id");

-- CreateIndex
CREATE INDEX "audit_event_region_code_occurred_at_idx" ON "audit_event"("region_code", "occurred_at");

-- CreateIndex
CREATE INDEX "audit_event_action_occurred_at_idx" ON "audit_event"("action", "occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "signing_key_fingerprint_key" ON "signing_key"("fingerprint");

-- CreateIndex
CREATE INDEX "checkpoint_tree_size_idx" ON "checkpoint"("tree_size");

-- CreateIndex
CREATE INDEX "evidence_pack_requested_by_id_created_at_idx" ON "evidence_pack"("requested_by_id", "created_at");

-- AddForeignKey
ALTER TABLE "staff_region" ADD CONSTRAINT "staff_region_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_region" ADD CONSTRAINT "staff_region_region_code_fkey" FOREIGN KEY ("region_code") REFERENCES "region"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "staff_session" ADD CONSTRAINT "staff_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "staff_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "customer_region_code_fkey" FOREIGN KEY ("region_code") REFERENCES "region"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer_personal_data" ADD CONSTRAINT "customer_personal_data_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subject_data_key" ADD CONSTRAINT "subject_data_key_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision" ADD CONSTRAINT "decision_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision" ADD CONSTRAINT "decision_region_code_fkey" FOREIGN KEY ("region_code") REFERENCES "region"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision" ADD CONSTRAINT "decision_rule_set_version_id_fkey" FOREIGN KEY ("rule_set_version_id") REFERENCES "rule_set_version"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "decision_reason" ADD CONSTRAINT "decision_reason_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_claimed_by_id_fkey" FOREIGN KEY ("claimed_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_approver_id_fkey" FOREIGN KEY ("approver_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review" ADD CONSTRAINT "review_privacy_request_id_fkey" FOREIGN KEY ("privacy_request_id") REFERENCES "privacy_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "repayment_outcome" ADD CONSTRAINT "repayment_outcome_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fraud_outcome" ADD CONSTRAINT "fraud_outcome_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_decision_id_fkey" FOREIGN KEY ("decision_id") REFERENCES "decision"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_region_code_fkey" FOREIGN KEY ("region_code") REFERENCES "region"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request" ADD CONSTRAINT "privacy_request_assignee_id_fkey" FOREIGN KEY ("assignee_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request_note" ADD CONSTRAINT "privacy_request_note_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "privacy_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_request_note" ADD CONSTRAINT "privacy_request_note_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rule_set" ADD CONSTRAINT "rule_set_region_code_fkey" FOREIGN KEY ("region_code") REFERENCES "region"("code") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rule_set_version" ADD CONSTRAINT "rule_set_version_rule_set_id_fkey" FOREIGN KEY ("rule_set_id") REFERENCES "rule_set"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rule_set_version" ADD CONSTRAINT "rule_set_version_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rule_set_version" ADD CONSTRAINT "rule_set_version_approver_id_fkey" FOREIGN KEY ("approver_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkpoint" ADD CONSTRAINT "checkpoint_signing_key_id_fkey" FOREIGN KEY ("signing_key_id") REFERENCES "signing_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evidence_pack" ADD CONSTRAINT "evidence_pack_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
