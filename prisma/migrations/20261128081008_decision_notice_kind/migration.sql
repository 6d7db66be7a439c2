-- AlterTable
ALTER TABLE "decision_notice" ADD COLUMN     "kind" VARCHAR(24) NOT NULL DEFAULT 'adverse_action';
