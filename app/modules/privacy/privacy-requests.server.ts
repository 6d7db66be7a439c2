import { db } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere } from "~/modules/access/ability.server";
import { notFound, requirePermission, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import { openPrivacyRequestStates, type PrivacyRequestListQuery } from "./schema";
import { deadlineOf } from "./deadlines";

// Data-protection requests (DESIGN.md §9): the list the DPO works from, with the statutory clock of
// each request. The subject's personal data is never shown here; it stays behind the customer page's
// masking and audit rules.

function filtersOf(actor: Actor, query: PrivacyRequestListQuery): Prisma.PrivacyRequestWhereInput[] {
  const filters: Prisma.PrivacyRequestWhereInput[] = [
    accessibleWhere(actor.ability, "read", "PrivacyRequest"),
    regionScope(actor, query.region),
  ];
  if (query.state) filters.push({ state: query.state });
  else if (query.status === "open") filters.push({ state: { in: [...openPrivacyRequestStates] } });
  else if (query.status === "closed") filters.push({ state: { in: ["completed", "refused"] } });
  if (query.type) filters.push({ type: query.type });
  if (query.unverified !== "show") filters.push({ identityState: { not: "unverified" } });
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

export async function listPrivacyRequests(actor: Actor, query: PrivacyRequestListQuery) {
  requirePermission(actor, "read", "PrivacyRequest");
  const where = { AND: filtersOf(actor, query) };
  // Hidden-by-default rows are counted so the page can say how many the toggle would reveal.
  const hiddenWhere =
    query.unverified === "show"
      ? null
      : { AND: [...filtersOf(actor, { ...query, unverified: "show" }), { identityState: "unverified" as const }] };
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
      assignee: { select: { displayName: true } },
    },
  });
  if (query.sort === "dueAt") rows.sort((a, b) => compareEffectiveDue(a, b) * (query.order === "asc" ? 1 : -1));
  const now = new Date();
  return {
    requests: rows.map(({ assignee, ...row }) => ({ ...row, assigneeName: assignee?.displayName ?? null, ...deadlineOf(row, now) })),
    paging: { kind: "offset" as const, page, pageCount, total },
    sort: { key: query.sort, order: query.order },
    hiddenUnverified,
    regions: actor.regionFilter,
  };
}

export type PrivacyRequestListItem = Awaited<ReturnType<typeof listPrivacyRequests>>["requests"][number];

export async function getPrivacyRequest(actor: Actor, requestId: string) {
  const request = await db.privacyRequest.findUnique({
    where: { id: requestId },
    include: {
      customer: { select: { id: true, reference: true } },
      decision: { select: { id: true, externalId: true } },
      assignee: { select: { displayName: true } },
      notes: { orderBy: { createdAt: "asc" }, include: { author: { select: { displayName: true } } } },
    },
  });
  if (!request) throw notFound("That privacy request");
  const { customer, decision, assignee, notes, ...facts } = request;
  requireRecordPermission(actor, "read", "PrivacyRequest", facts);
  return {
    request: { ...facts, ...deadlineOf(facts), assigneeName: assignee?.displayName ?? null },
    customer: customer ? { ...customer, canOpen: actor.ability.can("read", "Customer") } : null,
    decision: decision ? { ...decision, canOpen: actor.ability.can("read", "Decision") } : null,
    notes: notes.map((note) => ({ id: note.id, body: note.body, createdAt: note.createdAt, authorName: note.author.displayName })),
  };
}
