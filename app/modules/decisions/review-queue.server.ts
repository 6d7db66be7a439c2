import { db } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere, subjectOf } from "~/modules/access/ability.server";
import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import { openReviewStatuses, type ReviewQueueQuery } from "./schema";
import { DUE_SOON_HOURS, slaOf } from "./sla";
import { listAssignableReviewers } from "./review.server";
import { isProcessingRestricted } from "~/modules/privacy/restriction";

// The review queue (DESIGN.md §8): open, claimed and awaiting-approval reviews within the viewer's
// access and region filter, most urgent first, each with its SLA clock; the escalation view shows
// overdue and escalated items. Claiming, deciding and assigning belong to review.server.ts.

const HOUR_MS = 3_600_000;

function filtersOf(actor: Actor, query: ReviewQueueQuery, now: Date): Prisma.ReviewWhereInput[] {
  const filters: Prisma.ReviewWhereInput[] = [
    accessibleWhere(actor.ability, "read", "Review"),
    regionScope(actor, query.region),
    { status: query.status ?? { in: [...openReviewStatuses] } },
  ];
  if (query.trigger) filters.push({ trigger: query.trigger });
  if (query.view === "escalation") filters.push({ OR: [{ escalatedAt: { not: null } }, { dueAt: { lt: now } }] });
  if (query.view === "mine") filters.push({ OR: [{ claimedById: actor.user.id }, { assigneeId: actor.user.id }] });
  if (query.sla === "overdue") filters.push({ dueAt: { lt: now } });
  if (query.sla === "due_soon") filters.push({ dueAt: { gte: now, lt: new Date(now.getTime() + DUE_SOON_HOURS * HOUR_MS) } });
  return filters;
}

const orderBy: Record<ReviewQueueQuery["sort"], (order: "asc" | "desc") => Prisma.ReviewOrderByWithRelationInput[]> = {
  priority: (order) => [{ priority: order }, { dueAt: "asc" }, { id: "asc" }],
  dueAt: (order) => [{ dueAt: order }, { priority: "asc" }, { id: "asc" }],
  openedAt: (order) => [{ openedAt: order }, { id: "asc" }],
};

export async function listReviewQueue(actor: Actor, query: ReviewQueueQuery) {
  requirePermission(actor, "read", "Review");
  const now = new Date();
  const where = { AND: filtersOf(actor, query, now) };
  const total = await db.review.count({ where });
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(query.page, pageCount);
  const rows = await db.review.findMany({
    where,
    orderBy: orderBy[query.sort](query.order),
    skip: (page - 1) * PAGE_SIZE,
    take: PAGE_SIZE,
    select: {
      id: true,
      decisionId: true,
      regionCode: true,
      trigger: true,
      status: true,
      priority: true,
      openedAt: true,
      dueAt: true,
      claimedAt: true,
      claimedById: true,
      escalatedAt: true,
      version: true,
      privacyRequestId: true,
      claimedBy: { select: { displayName: true } },
      assignee: { select: { displayName: true } },
      decision: { select: { externalId: true, outcome: true, customer: { select: { isRestricted: true } } } },
    },
  });
  return {
    reviews: rows.map(({ claimedBy, assignee, decision, privacyRequestId, ...row }) => ({
      ...row,
      // A contest opens its own review or joins the one already open for the decision.
      answersContest: row.trigger === "contest" || privacyRequestId !== null,
      claimedByName: claimedBy?.displayName ?? null,
      assigneeName: assignee?.displayName ?? null,
      isEscalated: row.escalatedAt !== null,
      canClaim: row.status === "open" && actor.ability.can("claim", subjectOf("Review", { id: row.id, regionCode: row.regionCode, trigger: row.trigger, status: row.status }) as never),
      decisionExternalId: decision.externalId,
      decisionOutcome: decision.outcome,
      // GDPR Art. 18: the item stays in the queue (the review may be owed to the customer) but is
      // flagged, and the queue carries no personal data of anyone.
      isProcessingRestricted: isProcessingRestricted(decision.customer),
      ...slaOf(row, now),
    })),
    paging: { kind: "offset" as const, page, pageCount, total },
    sort: { key: query.sort, order: query.order },
    regions: actor.regionFilter,
    view: query.view,
    canAssign: actor.ability.can("assign", "Review"),
    assignableReviewers: await listAssignableReviewers(actor),
  };
}

export type ReviewQueueItem = Awaited<ReturnType<typeof listReviewQueue>>["reviews"][number];
