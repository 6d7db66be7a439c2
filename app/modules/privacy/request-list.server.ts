import { stringify } from "csv-stringify/sync";
import { db } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere, canReadPersonalData, WITHHELD_FREE_TEXT } from "~/modules/access/ability.server";
import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { decryptRequestTexts } from "~/modules/customers/subject-text.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import { openPrivacyRequestStates, type PrivacyRequestListQuery } from "./schema";
import { localDay } from "./deadlines";
import { regimeForRegion } from "./regimes.server";
import { intakeTypesFor } from "./request-intake.server";
import { clockOf } from "./request-workflow.server";

// The list of privacy requests the DPO works from, and its CSV export (one audit event per export).

function filtersOf(actor: Actor, query: PrivacyRequestListQuery): Prisma.PrivacyRequestWhereInput[] {
  const filters: Prisma.PrivacyRequestWhereInput[] = [
    accessibleWhere(actor.ability, "read", "PrivacyRequest"),
    regionScope(actor, query.region),
  ];
  if (query.state) filters.push({ state: query.state });
  else if (query.status === "open") filters.push({ state: { in: [...openPrivacyRequestStates] } });
  else if (query.status === "closed") filters.push({ state: { in: ["completed", "refused"] } });
  if (query.type) filters.push({ type: query.type });
  // Hidden by default until the requester's identity is verified: never checked, asked and waiting, or failed.
  if (query.unverified !== "show") filters.push({ identityState: "verified" });
  if (query.assignee === "me") filters.push({ assigneeId: actor.user.id });
  if (query.assignee === "none") filters.push({ assigneeId: null });
  if (query.q) filters.push({ reference: { contains: query.q, mode: "insensitive" } });
  return filters;
}

function compareEffectiveDue(
  a: { id: string; dueAt: Date; extendedDueAt: Date | null },
  b: { id: string; dueAt: Date; extendedDueAt: Date | null },
) {
  const difference = (a.extendedDueAt ?? a.dueAt).getTime() - (b.extendedDueAt ?? b.dueAt).getTime();
  return difference !== 0 ? difference : a.id.localeCompare(b.id);
}

/**
 * The ids on one page when sorted by the date that actually binds (the extended one if any). Prisma
 * cannot order by COALESCE, and the requests in one viewer's scope number in the thousands at most,
 * so the two dates of each are read and ordered here.
 */
async function pageIdsByEffectiveDue(where: Prisma.PrivacyRequestWhereInput, order: "asc" | "desc", page: number) {
  const all = await db.privacyRequest.findMany({ where, select: { id: true, dueAt: true, extendedDueAt: true } });
  all.sort((a, b) => compareEffectiveDue(a, b) * (order === "asc" ? 1 : -1));
  return all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((row) => row.id);
}

/** Whether the request's clock stands still now (UK GDPR scope clarification). */
export async function listPrivacyRequests(actor: Actor, query: PrivacyRequestListQuery) {
  requirePermission(actor, "read", "PrivacyRequest");
  const where = { AND: filtersOf(actor, query) };
  // Hidden-by-default rows are counted so the page can say how many the toggle would reveal.
  const hiddenWhere =
    query.unverified === "show"
      ? null
      : { AND: [...filtersOf(actor, { ...query, unverified: "show" }), { identityState: { not: "verified" as const } }] };
  const [total, hiddenUnverified] = await Promise.all([
    db.privacyRequest.count({ where }),
    hiddenWhere ? db.privacyRequest.count({ where: hiddenWhere }) : Promise.resolve(0),
  ]);
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(query.page, pageCount);
  const rows = await db.privacyRequest.findMany({
    where: query.sort === "dueAt" ? { id: { in: await pageIdsByEffectiveDue(where, query.order, page) } } : where,
    orderBy: [{ [query.sort]: query.order }, { id: "asc" }],
    skip: query.sort === "dueAt" ? 0 : (page - 1) * PAGE_SIZE,
    take: PAGE_SIZE,
    select: {
      id: true,
      reference: true,
      type: true,
      regionCode: true,
      regime: true,
      state: true,
      identityState: true,
      receivedAt: true,
      dueAt: true,
      extendedDueAt: true,
      duplicateOfId: true,
      pendingAction: true,
      assignee: { select: { displayName: true } },
    },
  });
  if (query.sort === "dueAt") rows.sort((a, b) => compareEffectiveDue(a, b) * (query.order === "asc" ? 1 : -1));
  const now = new Date();
  return {
    requests: rows.map(({ assignee, duplicateOfId, ...row }) => ({
      ...row,
      isDuplicate: duplicateOfId !== null,
      assigneeName: assignee?.displayName ?? null,
      receivedDay: localDay(row.receivedAt, regimeForRegion(row.regionCode).timeZone),
      ...clockOf(row, now),
    })),
    paging: { kind: "offset" as const, page, pageCount, total },
    sort: { key: query.sort, order: query.order },
    hiddenUnverified,
    regions: actor.regionFilter,
    canCreate: intakeTypesFor(actor).length > 0,
    canExport: actor.ability.can("export", "PrivacyRequest"),
  };
}

export type PrivacyRequestListItem = Awaited<ReturnType<typeof listPrivacyRequests>>["requests"][number];

const exportColumns = [
  "reference",
  "type",
  "region",
  "regime",
  "state",
  "identity",
  "received_at",
  "clock_started_at",
  "due_at",
  "extended_due_at",
  "extension_reason",
  "days_left",
  "duplicate_of",
  "assignee",
  "identity_verified_by",
  "identity_verified_at",
  "reviewer",
  "reviewed_at",
  "approval_requested_by",
  "approver",
  "approved_at",
  "completed_by",
  "completed_at",
] as const;

const EXPORT_BATCH = 500;

/**
 * The filtered list as CSV, with who reviewed each request and when: for a contest the human review
 * of the decision, otherwise the four-eyes approver (refusals, erasures). The export itself is one
 * audit event carrying the filter, appended before the first byte leaves.
 */
export async function exportPrivacyRequests(actor: Actor, query: PrivacyRequestListQuery) {
  requirePermission(actor, "export", "PrivacyRequest");
  const where = { AND: filtersOf(actor, query) };
  const { page: _page, ...filter } = query;
  await db.$transaction((tx) =>
    appendAuditEvent(tx, actor.audit, {
      action: "privacy_request.exported",
      subjectType: "PrivacyRequest",
      changes: { format: "csv", filter: JSON.parse(JSON.stringify(filter)) as Record<string, unknown> },
    }),
  );
  const encoder = new TextEncoder();
  let lastId: string | null = null;
  let isHeaderWritten = false;
  const now = new Date();
  const staffName = { select: { displayName: true } } as const;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const rows = await db.privacyRequest.findMany({
        where: lastId ? { AND: [where, { id: { gt: lastId } }] } : where,
        orderBy: { id: "asc" },
        take: EXPORT_BATCH,
        include: {
          duplicateOf: { select: { reference: true } },
          assignee: staffName,
          identityVerifiedBy: staffName,
          approvalRequestedBy: staffName,
          approver: staffName,
          completedBy: staffName,
          reviews: { orderBy: { decidedAt: "desc" }, take: 1, select: { decidedAt: true, reviewer: staffName } },
        },
      });
      let text = isHeaderWritten ? "" : stringify([[...exportColumns]]);
      isHeaderWritten = true;
      // The extension reason is free text about the requester: decrypted only for a reader of personal data.
      const readable = rows.filter((row) => row.extensionReason && canReadPersonalData(actor.ability, { regionCode: row.regionCode }));
      const reasons = new Map((await decryptRequestTexts(db, readable.map((row) => ({ request: row, value: row.extensionReason })))).map((reason, index) => [readable[index]!.id, reason]));
      const iso = (value: Date | null) => value?.toISOString() ?? "";
      for (const row of rows) {
        const review = row.reviews[0];
        const clock = clockOf(row, now);
        text += stringify([
          [
            row.reference,
            row.type,
            row.regionCode,
            row.regime,
            row.state,
            row.identityState,
            iso(row.receivedAt),
            iso(row.clockStartedAt),
            iso(row.dueAt),
            iso(row.extendedDueAt),
            row.extensionReason ? (reasons.get(row.id) ?? WITHHELD_FREE_TEXT) : "",
            clock.band === "closed" ? "" : String(clock.daysLeft),
            row.duplicateOf?.reference ?? "",
            row.assignee?.displayName ?? "",
            row.identityVerifiedBy?.displayName ?? "",
            iso(row.identityVerifiedAt),
            review?.reviewer?.displayName ?? row.approver?.displayName ?? "",
            iso(review?.decidedAt ?? row.approvedAt),
            row.approvalRequestedBy?.displayName ?? "",
            row.approver?.displayName ?? "",
            iso(row.approvedAt),
            row.completedBy?.displayName ?? "",
            iso(row.completedAt),
          ],
        ]);
      }
      if (text) controller.enqueue(encoder.encode(text));
      if (rows.length < EXPORT_BATCH) controller.close();
      else lastId = rows[rows.length - 1]!.id;
    },
  });
}
