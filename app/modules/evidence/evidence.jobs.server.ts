import { z } from "zod";
import { notFound } from "~/modules/access/actor.server";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { registerJobHandler } from "~/modules/jobs/registry.server";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { runEvidencePackBuild } from "./pack-build-runner.server";
import { discardPartialPack } from "./pack-builder.server";
import { PackScopeSchema } from "./schema";

// The evidence_pack.build job (ADR 008, ADR 012): builds the pack from its stored scope, then marks it
// downloadable in the job's own final transaction. A restart (the worker died) starts again from
// nothing; a failure or cancellation discards the partial files and records why on the pack.

export const evidencePackJob = registerJobHandler({
  kind: "evidence_pack.build",
  input: z.object({ packId: z.string().uuid() }),
  // Only the requester sees the job, as only they see the pack (policies/access.yaml: requestedById).
  authorize(actor, job) {
    if (job.requestedById !== actor.user.id || !actor.ability.can("read", "EvidencePack")) throw notFound("That job");
  },
  maxAttempts: 2,
  timeoutMinutes: 120,
  async run(job, context) {
    const pack = await db.evidencePack.findUnique({
      where: { id: job.input.packId },
      include: { requestedBy: { include: { regions: { select: { regionCode: true } } } } },
    });
    if (!pack) throw new Error(`evidence pack ${job.input.packId} does not exist`);
    if (!pack.requestedBy.isActive) throw new Error("the requester's account was deactivated before the pack was built");
    const scope = PackScopeSchema.parse(pack.scope);
    await db.evidencePack.update({ where: { id: pack.id }, data: { state: "running", error: null, progress: 0 } });
    // In a process of its own on PostgreSQL (ADR 021): ended when the job is cancelled or lost.
    const built = await runEvidencePackBuild(
      {
        packId: pack.id,
        jobId: job.id,
        scope,
        createdAt: pack.createdAt,
        requester: {
          id: pack.requestedBy.id,
          email: pack.requestedBy.email,
          displayName: pack.requestedBy.displayName,
          role: pack.requestedBy.role,
          regions: pack.requestedBy.regions.map((region) => region.regionCode).sort(),
        },
      },
      {
        throwIfCancelled: () => context.throwIfCancelled(),
        report: (done, total, message) => context.reportProgress(done, total, message),
      },
      context.signal,
    );
    const retainedUntil = new Date(Date.now() + env.EVIDENCE_PACK_RETENTION_DAYS * 86_400_000);
    await context.complete(
      async (tx) => {
        await tx.evidencePack.update({
          where: { id: pack.id },
          data: {
            state: "completed",
            progress: 100,
            completedAt: new Date(),
            fileName: built.fileName,
            sha256: built.sha256,
            sizeBytes: BigInt(built.sizeBytes),
            signature: built.signature,
            manifestSha256: built.manifestSha256,
            rowCount: BigInt(built.rowCount),
            checkpointNumber: BigInt(built.checkpoint.number),
            checkpointTreeSize: BigInt(built.checkpoint.treeSize),
            checkpointRootHash: built.checkpoint.rootHash,
            storageKey: built.storageKey,
            retainedUntil,
          },
        });
        await appendAuditEvent(tx, systemAuditContext, {
          action: "evidence_pack.built",
          subjectType: "EvidencePack",
          subjectId: pack.id,
          changes: {
            after: { state: "completed", sha256: built.sha256, sizeBytes: built.sizeBytes, manifestSha256: built.manifestSha256, rows: built.rowCount, checkpoint: { number: built.checkpoint.number, treeSize: built.checkpoint.treeSize, rootHash: built.checkpoint.rootHash }, retainedUntil: retainedUntil.toISOString() },
            requestedById: pack.requestedById,
            regions: scope.regions,
          },
        });
      },
      { sha256: built.sha256, sizeBytes: built.sizeBytes },
    );
  },
  async onSettled(tx, job, outcome) {
    discardPartialPack(job.input.packId);
    await tx.evidencePack.updateMany({
      where: { id: job.input.packId, state: { in: ["queued", "running"] } },
      data: { state: outcome.state === "cancelled" ? "cancelled" : "failed", error: outcome.reason, storageKey: null },
    });
  },
});
