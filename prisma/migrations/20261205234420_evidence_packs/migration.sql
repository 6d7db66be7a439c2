-- AlterEnum
ALTER TYPE "EvidencePackState" ADD VALUE 'cancelled';

-- AlterTable
ALTER TABLE "evidence_pack" ADD COLUMN     "checkpoint_number" BIGINT,
ADD COLUMN     "checkpoint_root_hash" TEXT,
ADD COLUMN     "checkpoint_tree_size" BIGINT,
ADD COLUMN     "download_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "job_id" UUID,
ADD COLUMN     "manifest_sha256" TEXT,
ADD COLUMN     "region_codes" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "retained_until" TIMESTAMPTZ(3),
ADD COLUMN     "row_count" BIGINT,
ADD COLUMN     "storage_key" TEXT;
