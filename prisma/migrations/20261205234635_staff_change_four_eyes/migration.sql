-- CreateEnum
CREATE TYPE "StaffChangeKind" AS ENUM ('create', 'update', 'reactivate', 'reset_mfa');

-- CreateEnum
CREATE TYPE "StaffChangeState" AS ENUM ('pending', 'approved', 'rejected');

-- CreateTable
CREATE TABLE "staff_change_request" (
    "id" UUID NOT NULL,
    "target_user_id" UUID NOT NULL,
    "kind" "StaffChangeKind" NOT NULL,
    "state" "StaffChangeState" NOT NULL DEFAULT 'pending',
    "proposed_role" "Role",
    "proposed_regions" TEXT[],
    "justification" TEXT,
    "requested_by_id" UUID NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_by_id" UUID,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_change_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "staff_change_request_target_user_id_state_idx" ON "staff_change_request"("target_user_id", "state");

-- CreateIndex
CREATE INDEX "staff_change_request_state_requested_at_idx" ON "staff_change_request"("state", "requested_at");

-- AddForeignKey
ALTER TABLE "staff_change_request" ADD CONSTRAINT "staff_change_request_target_user_id_fkey" FOREIGN KEY ("target_user_id") REFERENCES "staff_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
