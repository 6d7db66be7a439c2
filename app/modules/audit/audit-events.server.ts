import { db } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere } from "~/modules/access/ability.server";
import { forbidden, recordNotFound, requirePermission, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { modelSubjects } from "~/modules/access/policy.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import { auditActions, isAuditAction } from "./actions";
import { stringify } from "csv-stringify/sync";
import { firstCheckpointCovering, signedNoteOf } from "./checkpoints.server";
import { eventLeafDocuments } from "./event-document";
import { appendAuditEvent } from "./ledger.server";
import { verifyInclusion } from "./merkle";
import { treeInclusionProof } from "./tree.server";
import type { AuditEventListQuery } from "./schema";

// Reading the audit ledger (DESIGN.md §6): each role sees the events its policy grants, newest first,
// paged by sequence number (keyset: the ledger only grows, so a page never shifts under the reader).

const eventListSelect = {
  seq: true,
  occurredAt: true,
  actorLabel: true,
  actorRole: true,
  actorType: true,
  action: true,
  subjectType: true,
  subjectId: true,
  regionCode: true,
} satisfies Prisma.AuditEventSelect;

function regionFilterOf(actor: Actor, region?: string): Prisma.AuditEventWhereInput {
  if (region) return regionScope(actor, region);
  // Sign-ins and staff administration belong to no region; the region filter narrows regional
  // events only, and the access policy decides which region-less events a role may read.
  return { OR: [regionScope(actor), { regionCode: null }] };
}

function filtersOf(actor: Actor, query: AuditEventListQuery): Prisma.AuditEventWhereInput[] {
  const filters: Prisma.AuditEventWhereInput[] = [accessibleWhere(actor.ability, "read", "AuditEvent"), regionFilterOf(actor, query.region)];
  if (query.actor) filters.push({ actorLabel: { contains: query.actor, mode: "insensitive" } });
  if (query.action) filters.push({ action: query.action });
  if (query.subject) filters.push({ subjectType: query.subject });
  if (query.subjectId) filters.push({ subjectId: query.subjectId });
  if (query.from) filters.push({ occurredAt: { gte: query.from } });
  if (query.to) filters.push({ occurredAt: { lt: new Date(query.to.getTime() + 86_400_000) } });
  return filters;
}

export async function listAuditEvents(actor: Actor, query: AuditEventListQuery) {
  requirePermission(actor, "read", "AuditEvent");
  const where = filtersOf(actor, query);
  const read = (direction: "asc" | "desc", beyond?: bigint) =>
    db.auditEvent.findMany({
      where: { AND: beyond === undefined ? where : [...where, { seq: direction === "desc" ? { lt: beyond } : { gt: beyond } }] },
      orderBy: { seq: direction },
      take: PAGE_SIZE + 1,
      select: eventListSelect,
    });

  let rows: Prisma.AuditEventGetPayload<{ select: typeof eventListSelect }>[];
  let hasNewer = false;
  let hasOlder = false;
  if (query.before) {
    const newer = await read("asc", BigInt(query.before));
    if (newer.length > PAGE_SIZE) {
      rows = newer.slice(0, PAGE_SIZE).reverse();
      hasNewer = true;
      hasOlder = true;
    } else {
      // Reached the newest events: show a full first page.
      const first = await read("desc");
      rows = first.slice(0, PAGE_SIZE);
      hasOlder = first.length > PAGE_SIZE;
    }
  } else {
    const page = await read("desc", query.after ? BigInt(query.after) : undefined);
    rows = page.slice(0, PAGE_SIZE);
    hasOlder = page.length > PAGE_SIZE;
    hasNewer = query.after !== undefined && rows.length > 0;
  }

  const events = rows.map((row) => ({ ...row, seq: row.seq.toString() }));
  return {
    events,
    paging: {
      kind: "keyset" as const,
      nextCursor: hasOlder ? (events[events.length - 1]?.seq ?? null) : null,
      previousCursor: hasNewer ? (events[0]?.seq ?? null) : null,
    },
    options: {
      regions: actor.regionFilter,
      actions: Object.keys(auditActions).sort(),
      subjectTypes: [...modelSubjects, "StaffSession"].sort(),
    },
  };
}

export type AuditEventListItem = Awaited<ReturnType<typeof listAuditEvents>>["events"][number];

export async function getAuditEvent(actor: Actor, seq: string) {
  const event = await db.auditEvent.findUnique({
    where: { seq: BigInt(seq) },
    select: {
      seq: true,
      id: true,
      occurredAt: true,
      actorType: true,
      actorId: true,
      actorLabel: true,
      actorRole: true,
      action: true,
      subjectType: true,
      subjectId: true,
      regionCode: true,
      justification: true,
      changes: true,
      requestId: true,
      ipAddress: true,
      leafHash: true,
    },
  });
  if (!event) throw recordNotFound("AuditEvent");
  requireRecordPermission(actor, "read", "AuditEvent", event);
  const { seq: position, leafHash, ...fields } = event;
  return {
    inclusion: leafHash ? await inclusionInCoveringCheckpoint(Number(position), Buffer.from(leafHash)) : null,
    event: {
      ...fields,
      seq: position.toString(),
      leafHash: leafHash ? Buffer.from(leafHash).toString("hex") : null,
      actionDescription: isAuditAction(fields.action) ? auditActions[fields.action] : null,
    },
  };
}

/**
 * The proof that the event is in the first signed checkpoint covering it, checked here before it is
 * shown: the audit path from the event's leaf to that checkpoint's signed root.
 */
async function inclusionInCoveringCheckpoint(seq: number, leafHash: Buffer) {
  const checkpoint = await firstCheckpointCovering(seq);
  if (!checkpoint) return { checkpoint: null, auditPath: [], isVerified: false };
  const treeSize = checkpoint.treeSize;
  const auditPath = await treeInclusionProof(db, seq - 1, treeSize);
  const root = Buffer.from(checkpoint.rootHash, "hex");
  return {
    checkpoint: {
      id: checkpoint.id,
      number: checkpoint.number,
      treeSize,
      rootHash: checkpoint.rootHash,
      signedAt: new Date(checkpoint.timestamp),
      keyFingerprint: checkpoint.keyFingerprint,
      body: checkpoint.body,
      signature: checkpoint.signature,
      signedNote: signedNoteOf(checkpoint),
    },
    auditPath: auditPath.map((hash) => hash.toString("hex")),
    isVerified: verifyInclusion(leafHash, seq - 1, treeSize, auditPath, root),
  };
}

const EXPORT_BATCH = 2_000;
const exportColumns = ["seq", "occurredAt", "actorType", "actorId", "actorLabel", "actorRole", "action", "subjectType", "subjectId", "regionCode", "justification", "changes", "requestId", "ipAddress", "businessTime", "tagKeyId", "tag", "leafHash"];

/**
 * A filtered range of the ledger as CSV or JSON Lines, oldest first, streamed in batches. The export
 * is itself recorded first (DESIGN.md §6: no export without its event). Each JSON line carries the
 * exact leaf document (and, from leaf format v2 on, the content document whose SHA-256 the leaf names)
 * and the leaf hash, so the range can be re-hashed and checked against the proofs.
 */
export async function exportAuditEvents(actor: Actor, query: AuditEventListQuery, format: "csv" | "jsonl") {
  if (!actor.ability.can("export", "AuditEvent")) throw forbidden("export", "AuditEvent");
  const where = filtersOf(actor, query);
  const { before, after, ...filter } = query;
  await db.$transaction((tx) =>
    appendAuditEvent(tx, actor.audit, {
      action: "ledger.exported",
      subjectType: "Ledger",
      changes: { format, filter: JSON.parse(JSON.stringify({ ...filter, afterSeq: after, beforeSeq: before })) },
    }),
  );
  const encoder = new TextEncoder();
  let lastSeq = after ? BigInt(after) : 0n;
  let isHeaderWritten = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const rows = await db.auditEvent.findMany({
        where: { AND: [...where, { seq: { gt: lastSeq } }, ...(before ? [{ seq: { lt: BigInt(before) } }] : [])] },
        orderBy: { seq: "asc" },
        take: EXPORT_BATCH,
      });
      let text = "";
      if (format === "csv" && !isHeaderWritten) {
        text += stringify([exportColumns]);
        isHeaderWritten = true;
      }
      for (const row of rows) {
        const leafHash = row.leafHash ? Buffer.from(row.leafHash).toString("hex") : null;
        if (format === "jsonl") {
          text += `${JSON.stringify({ ...eventLeafDocuments(row), leafHash })}\n`;
        } else {
          text += stringify([[row.seq.toString(), row.occurredAt.toISOString(), row.actorType, row.actorId, row.actorLabel, row.actorRole, row.action, row.subjectType, row.subjectId, row.regionCode, row.justification, row.changes === null ? "" : JSON.stringify(row.changes), row.requestId, row.ipAddress, row.businessTime?.toISOString() ?? null, row.tagKeyId, row.tag, leafHash]]);
        }
      }
      if (text) controller.enqueue(encoder.encode(text));
      if (rows.length < EXPORT_BATCH) controller.close();
      else lastSeq = rows[rows.length - 1]!.seq;
    },
  });
}
