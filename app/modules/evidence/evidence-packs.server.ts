import fs from "node:fs";
import { Readable } from "node:stream";
import { accessibleWhere } from "~/modules/access/ability.server";
import { notFound, requirePermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { getJobStatus, type JobStatus } from "~/modules/jobs/jobs.server";
import { enqueueJob } from "~/modules/jobs/queue.server";
import { db } from "~/utils/db.server";
import { evidencePackJob } from "./evidence.jobs.server";
import { estimateRows, packFilePath } from "./pack-builder.server";
import { PackScopeSchema, type PackScope } from "./schema";

// Evidence packs as their requesters see them (issue 11, DESIGN.md §7): the scope picker's estimate,
// the request (audited, queued in the same transaction), the list with its history, and downloads
// (audited, the same stored bytes each time while the pack is retained). Only auditors and compliance
// officers may ask (policies/access.yaml), each seeing only their own packs.

export class PackScopeError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Validates a scope for this requester: a bad field or a region outside theirs is named. */
export function parseScope(actor: Actor, raw: unknown): PackScope {
  const parsed = PackScopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "scope";
    throw new PackScopeError(field, issue.message.startsWith(field.split(".")[0]!) ? issue.message : `${field}: ${issue.message}`);
  }
  const outside = parsed.data.regions.filter((region) => !actor.user.regions.includes(region));
  if (outside.length > 0) {
    const own = actor.user.regions.length > 0 ? actor.user.regions.join(", ") : "none";
    throw new PackScopeError("regions", `regions: ${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not one of your regions (${own})`);
  }
  return { ...parsed.data, regions: [...new Set(parsed.data.regions)].sort() };
}

export async function estimatePack(actor: Actor, raw: unknown) {
  requirePermission(actor, "create", "EvidencePack");
  const scope = parseScope(actor, raw);
  return estimateRows(actor, scope);
}

/** Records the request and queues its build, in one transaction. */
export async function requestEvidencePack(actor: Actor, raw: unknown) {
  requirePermission(actor, "create", "EvidencePack");
  const scope = parseScope(actor, raw);
  return db.$transaction(async (tx) => {
    const pack = await tx.evidencePack.create({ data: { requestedById: actor.user.id, scope: scope as never, regionCodes: scope.regions, state: "queued" }, select: { id: true } });
    const jobId = await enqueueJob(tx, evidencePackJob, { input: { packId: pack.id }, requestedById: actor.user.id, subject: { type: "EvidencePack", id: pack.id } });
    await tx.evidencePack.update({ where: { id: pack.id }, data: { jobId } });
    await appendAuditEvent(tx, actor.audit, {
      action: "evidence_pack.requested",
      subjectType: "EvidencePack",
      subjectId: pack.id,
      changes: { after: { state: "queued", scope, jobId } },
    });
    return { packId: pack.id, jobId };
  });
}

export interface EvidencePackListItem {
  id: string;
  state: string;
  scope: PackScope;
  createdAt: string;
  completedAt: string | null;
  fileName: string | null;
  sha256: string | null;
  sizeBytes: number | null;
  rowCount: number | null;
  checkpoint: { number: number; treeSize: number; rootHash: string | null } | null;
  retainedUntil: string | null;
  isDownloadable: boolean;
  downloadCount: number;
  error: string | null;
  job: JobStatus | null;
}

export async function listEvidencePacks(actor: Actor): Promise<EvidencePackListItem[]> {
  requirePermission(actor, "read", "EvidencePack");
  const rows = await db.evidencePack.findMany({ where: accessibleWhere(actor.ability, "read", "EvidencePack"), orderBy: { createdAt: "desc" }, take: 50 });
  const now = Date.now();
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      state: row.state,
      scope: row.scope as unknown as PackScope,
      createdAt: row.createdAt.toISOString(),
      completedAt: row.completedAt?.toISOString() ?? null,
      fileName: row.fileName,
      sha256: row.sha256,
      sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
      rowCount: row.rowCount === null ? null : Number(row.rowCount),
      checkpoint: row.checkpointNumber === null ? null : { number: Number(row.checkpointNumber), treeSize: Number(row.checkpointTreeSize), rootHash: row.checkpointRootHash },
      retainedUntil: row.retainedUntil?.toISOString() ?? null,
      isDownloadable: row.state === "completed" && row.storageKey !== null && (row.retainedUntil === null || row.retainedUntil.getTime() > now),
      downloadCount: row.downloadCount,
      error: row.error,
      job: row.jobId ? await getJobStatus(actor, row.jobId).catch(() => null) : null,
    })),
  );
}

/**
 * The finished pack's stored bytes, recorded as downloaded first. A pack that is not finished, not
 * the viewer's, expired or missing answers exactly like a missing one.
 */
export async function openEvidencePackDownload(actor: Actor, packId: string) {
  requirePermission(actor, "read", "EvidencePack");
  const pack = /^[0-9a-f-]{36}$/i.test(packId)
    ? await db.evidencePack.findFirst({ where: { AND: [{ id: packId }, accessibleWhere(actor.ability, "read", "EvidencePack")] } })
    : null;
  if (!pack || pack.state !== "completed" || !pack.storageKey || !pack.sha256) throw notFound("That evidence pack");
  if (pack.retainedUntil && pack.retainedUntil.getTime() <= Date.now()) throw notFound("That evidence pack");
  const file = packFilePath(pack.storageKey);
  if (!fs.existsSync(file)) throw notFound("That evidence pack");
  const size = fs.statSync(file).size;
  if (BigInt(size) !== pack.sizeBytes) throw new Error(`evidence pack ${pack.id}: the stored file is ${size} bytes, the pack recorded ${pack.sizeBytes}`);
  await db.$transaction(async (tx) => {
    await tx.evidencePack.update({ where: { id: pack.id }, data: { downloadCount: { increment: 1 } } });
    await appendAuditEvent(tx, actor.audit, {
      action: "evidence_pack.downloaded",
      subjectType: "EvidencePack",
      subjectId: pack.id,
      changes: { sha256: pack.sha256, sizeBytes: size, download: pack.downloadCount + 1 },
    });
  });
  return {
    fileName: pack.fileName ?? `${pack.id}.zip`,
    sha256: pack.sha256,
    size,
    stream: Readable.toWeb(fs.createReadStream(file)) as unknown as ReadableStream<Uint8Array>,
  };
}
