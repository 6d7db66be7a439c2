-- CreateEnum
CREATE TYPE "BackgroundJobState" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateTable
CREATE TABLE "background_job" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "state" "BackgroundJobState" NOT NULL DEFAULT 'queued',
    "subject_type" TEXT,
    "subject_id" TEXT,
    "region_code" VARCHAR(2),
    "requested_by_id" UUID,
    "input" JSONB NOT NULL,
    "result" JSONB,
    "error" TEXT,
    "progress_done" BIGINT NOT NULL DEFAULT 0,
    "progress_total" BIGINT,
    "progress_message" TEXT,
    "attempt" INTEGER NOT NULL DEFAULT 0,
    "dispatch_id" UUID,
    "max_attempts" INTEGER NOT NULL DEFAULT 3,
    "cancel_requested_at" TIMESTAMPTZ(3),
    "cancel_requested_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "background_job_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "background_job_state_heartbeat_at_idx" ON "background_job"("state", "heartbeat_at");

-- CreateIndex
CREATE INDEX "background_job_subject_type_subject_id_created_at_idx" ON "background_job"("subject_type", "subject_id", "created_at");

-- CreateIndex
CREATE INDEX "background_job_requested_by_id_created_at_idx" ON "background_job"("requested_by_id", "created_at");

-- AddForeignKey
ALTER TABLE "background_job" ADD CONSTRAINT "background_job_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "staff_user"("id") ON DELETE SET NULL ON UPDATE CASCADE;
