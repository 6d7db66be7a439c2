import { randomBytes, randomUUID } from "node:crypto";
import { stringify } from "csv-stringify/sync";
import { db, type Tx } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere, canReadPersonalData, subjectOf, WITHHELD_FREE_TEXT } from "~/modules/access/ability.server";
import { forbidden, notFound, requirePermission, requireRecordPermission, type Actor, missingRecord } from "~/modules/access/actor.server";
import type { ApiCaller } from "~/modules/access/api-tokens.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { appendAuditEvent, type AuditContext } from "~/modules/audit/ledger.server";
import { findCustomersByBlindIndex, readPersonalDataForSystem, writePersonalData } from "~/modules/customers/personal-data.server";
import { decryptRequestTexts, decryptTexts, encryptRequestText, encryptText, requesterEmailIndex } from "~/modules/customers/subject-text.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import {
  intakeRequestTypes,
  openPrivacyRequestStates,
  type PrivacyIntakeInput,
  type PrivacyRequestAction,
  type PrivacyRequestListQuery,
} from "./schema";
import { clockStartOf, deadlineOf, describeDuration, extensionProblem, extendedDueDate, localDay, moveDueDate, pausedDays, startOfLocalDay } from "./deadlines";
import { complaintRightNotice, dueDatesInRegion, regimeForRegion } from "./regimes.server";

// Data-protection requests (DESIGN.md §9): intake from staff and the API, the statutory clock per
// regime (policies/privacy-regimes.yaml), identity verification, extension, UK pauses, four-eyes
// refusal, and the list the DPO works from. Every change is one transaction ending in its audit event.
// The subject's personal data is never shown here; it stays behind the customer page's masking.

/** A refused step, with the form field it concerns when there is one. */
export class PrivacyRequestRefusedError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

const closedStates = ["completed", "refused"] as const;

function isClosed(state: string) {
  return (closedStates as readonly string[]).includes(state);
}

// ── The list ───────────────────────────────────────────────────────────────────────────────────

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
function isPaused(row: { state: string; regionCode: string }) {
  return row.state === "scope_clarification" && regimeForRegion(row.regionCode).regime.pausesForClarification;
}

function clockOf(row: { state: string; regionCode: string; dueAt: Date; extendedDueAt: Date | null }, now = new Date()) {
  const deadline = deadlineOf({ ...row, isPaused: isPaused(row) }, now);
  return { ...deadline, dueDay: localDay(deadline.effectiveDueAt, regimeForRegion(row.regionCode).timeZone) };
}

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

// ── One request ────────────────────────────────────────────────────────────────────────────────

const handlerRoles = ["dpo", "compliance_officer"] as const;

/** Staff who may be given a request of this region: active DPOs and compliance officers covering it. */
function handlersOf(client: Tx | typeof db, regionCode: string) {
  return client.staffUser.findMany({
    where: { isActive: true, role: { in: [...handlerRoles] }, regions: { some: { regionCode } } },
    orderBy: [{ role: "desc" }, { displayName: "asc" }],
    select: { id: true, displayName: true, role: true },
  });
}

export async function getPrivacyRequest(actor: Actor, requestId: string) {
  const staffName = { select: { displayName: true } } as const;
  const request = await db.privacyRequest.findUnique({
    where: { id: requestId },
    include: {
      customer: { select: { id: true, reference: true, regionCode: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } },
      decision: { select: { id: true, externalId: true, regionCode: true, outcome: true } },
      // The human review that answers a contest (GDPR Art. 22(3)): its own contest review, or the review
      // already open for the decision that the contest joined.
      reviews: { orderBy: { openedAt: "desc" }, take: 1, select: { id: true, status: true, verdict: true, closedAt: true } },
      assignee: staffName,
      identityVerifiedBy: staffName,
      approvalRequestedBy: staffName,
      approver: staffName,
      completedBy: staffName,
      duplicateOf: { select: { id: true, reference: true, state: true } },
      duplicates: { select: { id: true, reference: true, state: true }, orderBy: { receivedAt: "asc" } },
      notes: { orderBy: { createdAt: "asc" }, include: { author: staffName } },
      pauses: { orderBy: { startedAt: "asc" }, include: { startedBy: staffName } },
      artefacts: {
        orderBy: { createdAt: "asc" },
        select: { id: true, kind: true, fileName: true, sha256: true, sizeBytes: true, createdAt: true },
      },
    },
  });
  if (!request) throw missingRecord(actor, "read", "PrivacyRequest");
  const {
    customer,
    decision,
    assignee,
    identityVerifiedBy,
    approvalRequestedBy,
    approver,
    completedBy,
    duplicateOf,
    duplicates,
    notes,
    pauses,
    artefacts,
    reviews,
    // The requester's contact details are personal data: never sent to the page (matching uses them).
    requesterName,
    requesterEmail,
    ...facts
  } = request;
  requireRecordPermission(actor, "read", "PrivacyRequest", facts);
  const { regime, timeZone, authority } = regimeForRegion(facts.regionCode);
  const can = (action: "update" | "verifyIdentity" | "extend" | "refuse" | "approve" | "complete" | "assign") =>
    actor.ability.can(action, subjectOf("PrivacyRequest", facts) as never);
  const canOnCustomer = (action: "rectify" | "restrict") =>
    customer ? actor.ability.can(action, subjectOf("Customer", customer) as never) : false;
  const isOpen = !isClosed(facts.state);
  // The requester's words, notes, reasons and pause questions are free text that may name the subject
  // or describe their situation (objection grounds are copied into a note): only a role that may read
  // the customer's personal data fields gets them; others see that something is withheld. An unmatched
  // request is judged by its region, as its customer would be.
  const isFreeTextWithheld = !canReadPersonalData(actor.ability, customer ?? { regionCode: facts.regionCode });
  // Free text is decrypted only for a reader of personal data; others never receive even its ciphertext.
  const stored = [facts.details, facts.refusalReason, facts.extensionReason, ...notes.map((note) => note.body), ...pauses.map((pause) => pause.reason)];
  const opened = isFreeTextWithheld
    ? stored.map((value) => (value ? WITHHELD_FREE_TEXT : null))
    : await decryptRequestTexts(db, stored.map((value) => ({ request: facts, value })));
  const [details, refusalReason, extensionReason] = opened;
  const noteBodies = opened.slice(3, 3 + notes.length);
  const pauseReasons = opened.slice(3 + notes.length);
  return {
    isFreeTextWithheld,
    request: {
      ...facts,
      details: details ?? null,
      refusalReason: refusalReason ?? null,
      extensionReason: extensionReason ?? null,
      ...clockOf(facts),
      originalDueDay: localDay(facts.dueAt, timeZone),
      receivedDay: localDay(facts.receivedAt, timeZone),
      assigneeName: assignee?.displayName ?? null,
      identityVerifiedByName: identityVerifiedBy?.displayName ?? null,
      approvalRequestedByName: approvalRequestedBy?.displayName ?? null,
      approverName: approver?.displayName ?? null,
      completedByName: completedBy?.displayName ?? null,
      hasRequesterContact: Boolean(requesterName || requesterEmail),
    },
    regime: {
      label: regime.label,
      citation: regime.citation,
      dueDateRule: regime.dueDateRule,
      period: describeDuration(regime.period),
      clockStarts: regime.clockStarts,
      extension: regime.extension
        ? { max: describeDuration(regime.extension.max), unit: "months" in regime.extension.max ? "months" : "days", maxAmount: "months" in regime.extension.max ? regime.extension.max.months : regime.extension.max.days }
        : null,
      pausesForClarification: regime.pausesForClarification,
      timeZone,
      authority,
    },
    customer: customer ? { ...customer, canOpen: actor.ability.can("read", "Customer") } : null,
    decision: decision
      ? {
          id: decision.id,
          externalId: decision.externalId,
          canOpen: actor.ability.can("read", subjectOf("Decision", decision) as never),
          canGenerateNotice: actor.ability.can("notify", subjectOf("Decision", decision) as never),
        }
      : null,
    contestReview: reviews[0] ?? null,
    duplicateOf,
    duplicates,
    notes: notes.map((note, index) => ({ id: note.id, body: noteBodies[index] ?? "", createdAt: note.createdAt, authorName: note.author.displayName })),
    pauses: pauses.map((pause, index) => ({
      id: pause.id,
      reason: pauseReasons[index] ?? "",
      startedAt: pause.startedAt,
      endedAt: pause.endedAt,
      startedByName: pause.startedBy.displayName,
      days: pausedDays([pause], timeZone, new Date()),
    })),
    artefacts,
    handlers: isOpen && (can("assign") || can("update")) ? await handlersOf(db, facts.regionCode) : [],
    viewerId: actor.user.id,
    permissions: {
      note: can("update"),
      update: isOpen && can("update"),
      verifyIdentity: isOpen && can("verifyIdentity"),
      extend: isOpen && can("extend"),
      refuse: isOpen && can("refuse"),
      approve: isOpen && can("approve"),
      complete: isOpen && can("complete"),
      assign: isOpen && can("assign"),
      rectify: isOpen && canOnCustomer("rectify"),
      restrict: canOnCustomer("restrict"),
    },
  };
}

export type PrivacyRequestView = Awaited<ReturnType<typeof getPrivacyRequest>>;

// ── Intake ─────────────────────────────────────────────────────────────────────────────────────

interface IntakeCaller {
  audit: AuditContext;
  regions: string[];
}

/** A request's human reference: region, year of receipt and a random part (also used by contest intake). */
export function newPrivacyRequestReference(regionCode: string, receivedAt: Date) {
  return `PR-${regionCode}-${receivedAt.getUTCFullYear()}-${randomBytes(4).toString("hex").toUpperCase()}`;
}

async function matchCustomer(tx: Tx, input: { regionCode: string; customerReference?: string; requesterEmail?: string }) {
  if (input.customerReference) {
    const customer = await tx.customer.findUnique({ where: { reference: input.customerReference }, select: { id: true, regionCode: true } });
    if (!customer || customer.regionCode !== input.regionCode) {
      // A customer of another region is reported exactly like an unknown one: the caller may not learn it exists.
      throw new PrivacyRequestRefusedError(`no customer of region ${input.regionCode} has the reference ${input.customerReference}`, "customerReference", 422);
    }
    return { customerId: customer.id, matchedBy: "customer_reference" as const };
  }
  if (input.requesterEmail) {
    // By the e-mail's blind index: the database holds no searchable plain address (ADR 009).
    const candidates = await findCustomersByBlindIndex(tx, { email: input.requesterEmail }, { regionCode: input.regionCode, take: 2 });
    // Two customers with one address cannot be told apart here; a person matches it by hand.
    if (candidates.length === 1) return { customerId: candidates[0]!, matchedBy: "email" as const };
  }
  return { customerId: null, matchedBy: null };
}

/** An open request of the same type for the same subject, which this one duplicates. */
async function findOriginal(tx: Tx, customerId: string, type: string, exceptId?: string) {
  // Serialise intake per subject so two simultaneous requests cannot both miss each other.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`privacy-intake:${customerId}`}, 0))`;
  return tx.privacyRequest.findFirst({
    where: {
      customerId,
      type: type as never,
      state: { notIn: [...closedStates] },
      ...(exceptId ? { id: { not: exceptId } } : {}),
    },
    orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
    select: { id: true, reference: true },
  });
}

function receivedInstant(input: PrivacyIntakeInput, timeZone: string, now: Date) {
  if (input.receivedAt) {
    if (input.receivedAt.getTime() > now.getTime() + 60_000) throw new PrivacyRequestRefusedError("a request cannot be received in the future", "receivedAt", 422);
    return input.receivedAt;
  }
  if (input.receivedOn) {
    const today = localDay(now, timeZone);
    if (input.receivedOn > today) throw new PrivacyRequestRefusedError(`the day received cannot be after today (${today} in ${timeZone})`, "receivedOn", 422);
    return input.receivedOn === today ? now : startOfLocalDay(input.receivedOn, timeZone);
  }
  return now;
}

async function receiveRequest(caller: IntakeCaller, input: PrivacyIntakeInput, createdBy: string | null) {
  const { regimeKey, timeZone } = regimeForRegion(input.regionCode);
  const now = new Date();
  const receivedAt = receivedInstant(input, timeZone, now);
  if (now.getTime() - receivedAt.getTime() > 366 * 86_400_000) {
    throw new PrivacyRequestRefusedError("a request received more than a year ago cannot be logged as new", input.receivedAt ? "receivedAt" : "receivedOn", 422);
  }
  // Every regime's clock runs from receipt until something moves it: under UK GDPR Art. 12A the arrival
  // of identity information asked for (or of a fee) starts it again from that day.
  const clockStartedAt = receivedAt;
  const { dueAt } = dueDatesInRegion(input.regionCode, { clockStartedAt, now });
  return db.$transaction(async (tx) => {
    const { customerId, matchedBy } = await matchCustomer(tx, input);
    const original = customerId ? await findOriginal(tx, customerId, input.type) : null;
    // The requester's words and contact details are encrypted under the matched customer's key, or under
    // a key of the requester's own until the request is matched (ADR 009).
    const id = randomUUID();
    const subject = { id, customerId };
    const created = await tx.privacyRequest.create({
      data: {
        id,
        reference: newPrivacyRequestReference(input.regionCode, receivedAt),
        type: input.type,
        customerId,
        regionCode: input.regionCode,
        regime: regimeKey,
        channel: input.channel,
        details: await encryptRequestText(tx, subject, input.details),
        requesterName: await encryptRequestText(tx, subject, input.requesterName),
        requesterEmail: await encryptRequestText(tx, subject, input.requesterEmail),
        requesterEmailIndex: await requesterEmailIndex(tx, input.requesterEmail),
        duplicateOfId: original?.id ?? null,
        receivedAt,
        clockStartedAt,
        dueAt,
        notes: createdBy && original
          ? { create: { authorId: createdBy, body: await encryptRequestText(tx, subject, `Flagged at intake as a duplicate of ${original.reference} (an open ${input.type} request of the same customer).`) } }
          : undefined,
      },
      select: { id: true, reference: true, state: true, regionCode: true, dueAt: true, duplicateOfId: true, customerId: true, identityState: true },
    });
    await appendAuditEvent(tx, caller.audit, {
      action: "privacy_request.received",
      subjectType: "PrivacyRequest",
      subjectId: created.id,
      regionCode: input.regionCode,
      changes: {
        after: {
          reference: created.reference,
          type: input.type,
          channel: input.channel,
          regime: regimeKey,
          customerId,
          matchedBy,
          duplicateOf: original?.reference ?? null,
          receivedAt: receivedAt.toISOString(),
          dueAt: dueAt.toISOString(),
        },
      },
      // The requester's contact details are personal data: sealed under the subject's key when known.
      personalData:
        customerId && (input.requesterName || input.requesterEmail)
          ? { customerId, fields: { requesterName: input.requesterName ?? null, requesterEmail: input.requesterEmail ?? null } }
          : undefined,
    });
    return { ...created, duplicateOf: original?.reference ?? null, matchedBy };
  });
}

/**
 * The request types the actor may log through staff intake in at least one of their regions. A
 * compliance officer may create contests only (from the decision page), so has no intake form.
 */
function intakeTypesFor(actor: Actor) {
  return intakeRequestTypes.filter((type) =>
    actor.user.regions.some((regionCode) => actor.ability.can("create", subjectOf("PrivacyRequest", { type, regionCode }) as never)),
  );
}

export function requireIntakePermission(actor: Actor) {
  const types = intakeTypesFor(actor);
  if (types.length === 0) throw forbidden("create", "PrivacyRequest", "data-protection request intake");
  return types;
}

/** Staff intake (`/privacy/new`): the DPO logs a request received by mail, phone or post. */
export async function createPrivacyRequest(actor: Actor, input: PrivacyIntakeInput) {
  requireIntakePermission(actor);
  requireRecordPermission(actor, "create", "PrivacyRequest", { regionCode: input.regionCode, type: input.type });
  return receiveRequest({ audit: actor.audit, regions: actor.user.regions }, input, actor.user.id);
}

/** API intake (`POST /api/v1/privacy-requests`): a token with privacy:write, limited to its regions. */
export async function receivePrivacyRequestFromApi(caller: ApiCaller, input: PrivacyIntakeInput) {
  if (!caller.regions.includes(input.regionCode)) {
    throw new PrivacyRequestRefusedError(`the API token may not submit requests for region ${input.regionCode} (its regions: ${caller.regions.join(", ") || "none"})`, "regionCode", 403);
  }
  return receiveRequest({ audit: caller.audit, regions: caller.regions }, input, null);
}

// ── The workflow ───────────────────────────────────────────────────────────────────────────────

type RequestRow = NonNullable<Awaited<ReturnType<typeof loadForChange>>>;

async function loadForChange(tx: Tx, requestId: string) {
  return tx.privacyRequest.findUnique({
    where: { id: requestId },
    include: {
      customer: { select: { id: true, reference: true, regionCode: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } },
      duplicateOf: { select: { reference: true } },
      pauses: { where: { endedAt: null }, select: { id: true, startedAt: true, endedAt: true } },
    },
  });
}

function requireOpen(row: RequestRow) {
  if (isClosed(row.state)) throw new PrivacyRequestRefusedError(`this request is already ${row.state}`);
}

function requireNotPendingApproval(row: RequestRow) {
  if (row.pendingAction === "refusal") throw new PrivacyRequestRefusedError("a refusal is waiting for a second DPO's approval; approve or reject it first");
  if (row.pendingAction) throw new PrivacyRequestRefusedError("an erasure is waiting for approval; it is decided on the erasure plan");
}

function requireVerified(row: RequestRow, what: string) {
  if (row.identityState !== "verified") throw new PrivacyRequestRefusedError(`verify the requester's identity before you ${what}`);
}

/** Acting on a duplicate whose requester is not verified is blocked: it may be someone else asking. */
function requireNotUnverifiedDuplicate(row: RequestRow, what: string) {
  if (row.duplicateOfId && row.identityState !== "verified") {
    throw new PrivacyRequestRefusedError(
      `this request duplicates ${row.duplicateOf?.reference ?? "an open request"} and the requester's identity is not verified; verify it before you ${what}`,
    );
  }
}

function requireNotPaused(row: RequestRow) {
  if (row.pauses.length > 0) throw new PrivacyRequestRefusedError("the clock is paused for scope clarification; resume it first");
}

function requireType(row: RequestRow, type: string, what: string) {
  if (row.type !== type) throw new PrivacyRequestRefusedError(`only ${type} requests ${what}; this is a ${row.type} request`);
}

function requireCustomer(row: RequestRow) {
  if (!row.customer) throw new PrivacyRequestRefusedError("match the request to a customer first");
  return row.customer;
}

/** Writes the change only if nobody else changed the request since the form was shown. */
async function updateVersioned(tx: Tx, row: RequestRow, expectedVersion: number, data: Prisma.PrivacyRequestUncheckedUpdateManyInput) {
  const updated = await tx.privacyRequest.updateMany({
    where: { id: row.id, version: expectedVersion },
    data: { ...data, version: { increment: 1 } },
  });
  if (updated.count === 0) {
    throw new PrivacyRequestRefusedError("someone else changed this request since you opened it; reload the page and try again");
  }
}

/**
 * A request's event. Its free text (notes, reasons) may describe the subject, so it is sealed under the
 * matched customer's key; while the request is not matched it belongs to an unidentified requester and
 * stays only on the request (which erasure cleans), never in the ledger (AuditEventInput.freeTextSubject).
 */
function event(row: RequestRow, action: Parameters<typeof appendAuditEvent>[2]["action"], rest: Omit<Parameters<typeof appendAuditEvent>[2], "action" | "subjectType" | "subjectId" | "regionCode" | "freeTextSubject"> = {}) {
  return { action, subjectType: "PrivacyRequest", subjectId: row.id, regionCode: row.regionCode, freeTextSubject: { customerId: row.customerId }, ...rest };
}

/** What must hold before any request is completed, whoever completes it. */
function requireCompletable(row: RequestRow) {
  requireOpen(row);
  if (row.pendingAction === "refusal") throw new PrivacyRequestRefusedError("a refusal is waiting for approval; it cannot be completed as well");
  requireVerified(row, "complete the request");
  requireNotPaused(row);
}

/**
 * A contest (GDPR Art. 22(3)) is answered by the human review of its decision, so closing that review
 * completes it: the authority is the reviewer's `decide` (or the approver's `approve`) on that review,
 * not the DPO's `complete` on the request. The review must belong to this contest and be closed.
 */
async function requireContestReviewAuthority(tx: Tx, actor: Actor, row: RequestRow, reviewId: string) {
  if (row.type !== "contest") throw new PrivacyRequestRefusedError(`only a contest is answered by a review; this is a ${row.type} request`);
  const review = await tx.review.findUnique({ where: { id: reviewId }, select: { id: true, regionCode: true, trigger: true, status: true, privacyRequestId: true } });
  if (!review || review.privacyRequestId !== row.id) throw new PrivacyRequestRefusedError(`that review does not answer the contest ${row.reference}`);
  if (review.status !== "closed") throw new PrivacyRequestRefusedError(`the review of the contest ${row.reference} is not closed yet`);
  const subject = subjectOf("Review", { id: review.id, regionCode: review.regionCode, trigger: review.trigger, status: review.status }) as never;
  if (!actor.ability.can("decide", subject) && !actor.ability.can("approve", subject)) throw forbidden("decide", "Review");
}

/**
 * Refuses, with the reason, when the request could not be completed now; for a step that will
 * complete it later (a contest's overturn proposed for four-eyes approval), so nobody is told late.
 */
export async function requirePrivacyRequestCompletable(tx: Tx, requestId: string) {
  const row = await loadForChange(tx, requestId);
  if (!row) throw notFound("That privacy request");
  requireCompletable(row);
  return { reference: row.reference, state: row.state };
}

/**
 * Moves the request to `completed` (used by this module, by erasure and access export, and by the
 * review that answers a contest: `answeredByReviewId`). A caller whose own audit event already records
 * the completion (its before/after state) passes `isRecordedByCaller`, so one action stays one event.
 */
export async function completePrivacyRequest(
  tx: Tx,
  actor: Actor,
  requestId: string,
  { note, isRecordedByCaller = false, answeredByReviewId }: { note: string; isRecordedByCaller?: boolean; answeredByReviewId?: string },
) {
  const row = await loadForChange(tx, requestId);
  if (!row) throw notFound("That privacy request");
  if (answeredByReviewId) await requireContestReviewAuthority(tx, actor, row, answeredByReviewId);
  else requireRecordPermission(actor, "complete", "PrivacyRequest", row);
  requireCompletable(row);
  const now = new Date();
  await updateVersioned(tx, row, row.version, { state: "completed", completedById: actor.user.id, completedAt: now, pendingAction: null });
  if (note.trim()) await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, note.trim()) } });
  if (isRecordedByCaller) return;
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.completed", {
    justification: note.trim() || null,
    changes: { before: { state: row.state }, after: { state: "completed", completedAt: now.toISOString() } },
  }));
}

/** One step of the workflow on one request, as chosen on the request page. Returns a message for the page. */
export async function actOnPrivacyRequest(actor: Actor, requestId: string, input: PrivacyRequestAction): Promise<string> {
  return db.$transaction(async (tx) => {
    const row = await loadForChange(tx, requestId);
    if (!row) throw notFound("That privacy request");
    requireRecordPermission(actor, "read", "PrivacyRequest", row);
    if (row.version !== input.version) {
      throw new PrivacyRequestRefusedError("someone else changed this request since you opened it; reload the page and try again");
    }
    const steps: Record<PrivacyRequestAction["intent"], () => Promise<string>> = {
      matchCustomer: () => matchToCustomer(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "matchCustomer" }>),
      requestIdentity: () => requestIdentity(tx, actor, row),
      verifyIdentity: () => verifyIdentity(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "verifyIdentity" }>),
      assign: () => assign(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "assign" }>),
      note: () => addNote(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "note" }>),
      extend: () => extend(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "extend" }>),
      pause: () => pause(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "pause" }>),
      resume: () => resume(tx, actor, row),
      proposeRefusal: () => proposeRefusal(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "proposeRefusal" }>),
      approveRefusal: () => approveRefusal(tx, actor, row),
      rejectRefusal: () => rejectRefusal(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "rejectRefusal" }>),
      complete: () => completeDirectly(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "complete" }>),
      rectify: () => rectify(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "rectify" }>),
      restrict: () => restrict(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "restrict" }>),
      liftRestriction: () => liftRestriction(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "liftRestriction" }>),
      recordObjection: () => recordObjection(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "recordObjection" }>),
    };
    return steps[input.intent]();
  });
}

async function matchToCustomer(tx: Tx, actor: Actor, row: RequestRow, input: { customerReference: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  if (row.customerId) throw new PrivacyRequestRefusedError("this request is already matched to a customer", "customerReference");
  const { customerId } = await matchCustomer(tx, { regionCode: row.regionCode, customerReference: input.customerReference });
  const original = await findOriginal(tx, customerId!, row.type, row.id);
  await updateVersioned(tx, row, row.version, { customerId, duplicateOfId: original?.id ?? null });
  await moveTextToCustomer(tx, row, customerId!);
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.matched", {
    changes: { after: { customerId, matchedBy: "customer_reference", duplicateOf: original?.reference ?? null } },
  }));
  return original ? `Matched. This request duplicates the open request ${original.reference}.` : "Matched to the customer.";
}

/**
 * Matching moves the request's free text from the requester's own key to the customer's, so the
 * customer's erasure reaches it, and deletes the requester's key (ADR 009).
 */
async function moveTextToCustomer(tx: Tx, row: RequestRow, customerId: string) {
  const [notes, pauses] = await Promise.all([
    tx.privacyRequestNote.findMany({ where: { requestId: row.id }, select: { id: true, body: true } }),
    tx.privacyRequestPause.findMany({ where: { requestId: row.id }, select: { id: true, reason: true } }),
  ]);
  const fields = [row.details, row.requesterName, row.requesterEmail, row.refusalReason, row.extensionReason];
  const stored = [...fields, ...notes.map((note) => note.body), ...pauses.map((pause) => pause.reason)];
  const opened = await decryptTexts(tx, stored.map((value) => ({ subjectId: row.id, value })));
  const customer = { id: customerId, kind: "customer" as const };
  const sealed = await Promise.all(opened.map((text) => encryptText(tx, customer, text)));
  const [details, requesterName, requesterEmail, refusalReason, extensionReason] = sealed;
  await tx.privacyRequest.update({ where: { id: row.id }, data: { details, requesterName, requesterEmail, refusalReason, extensionReason } });
  for (const [index, note] of notes.entries()) await tx.privacyRequestNote.update({ where: { id: note.id }, data: { body: sealed[fields.length + index]! } });
  for (const [index, pause] of pauses.entries()) await tx.privacyRequestPause.update({ where: { id: pause.id }, data: { reason: sealed[fields.length + notes.length + index]! } });
  await tx.subjectDataKey.deleteMany({ where: { subjectId: row.id, subjectKind: "requester" } });
}

async function requestIdentity(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "verifyIdentity", "PrivacyRequest", row);
  requireOpen(row);
  if (row.identityState === "verified") throw new PrivacyRequestRefusedError("the requester's identity is already verified");
  await updateVersioned(tx, row, row.version, { identityState: "pending", state: row.state === "received" ? "identity_pending" : row.state });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.identity_requested", {
    changes: { before: { identityState: row.identityState, state: row.state }, after: { identityState: "pending" } },
  }));
  return "Identity check started: the requester has been asked to confirm who they are.";
}

async function verifyIdentity(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "verifyIdentity" }>) {
  requireRecordPermission(actor, "verifyIdentity", "PrivacyRequest", row);
  requireOpen(row);
  requireCustomer(row);
  if (row.identityState === "verified") throw new PrivacyRequestRefusedError("the requester's identity is already verified");
  const now = new Date();
  // A structured record of what was checked: never a copy of a document (data minimisation, Art. 5(1)(c)).
  const evidence = {
    method: input.method,
    checks: [...new Set(input.checks)],
    result: input.result,
    checkedById: actor.user.id,
    checkedBy: actor.user.displayName,
    checkedAt: now.toISOString(),
    documentsKept: false,
  };
  const isVerified = input.result === "verified";
  const { regime, timeZone } = regimeForRegion(row.regionCode);
  const arrivals = identityArrivals(row, input, timeZone, now);
  // UK GDPR Art. 12A(2): the clock runs from the latest of receipt, the identity information asked for
  // and any fee — the days they arrived, not the day the DPO checked them.
  const isLatestOf = regime.clockStarts === "latest_of_receipt_identity_fee";
  if (isLatestOf && isVerified && !arrivals.informationReceivedAt) {
    throw new PrivacyRequestRefusedError("enter the day the identity information arrived: the clock runs from it (UK GDPR Art. 12A)", "informationReceivedOn", 422);
  }
  const clockStartedAt = isLatestOf && isVerified && !row.extendedDueAt
    ? clockStartOf({ receivedAt: row.receivedAt, identityInformationReceivedAt: arrivals.informationReceivedAt, feeReceivedAt: arrivals.feeReceivedAt })
    : row.clockStartedAt;
  const startsClock = clockStartedAt !== null && clockStartedAt.getTime() !== row.clockStartedAt?.getTime();
  const dueAt = startsClock ? dueDatesInRegion(row.regionCode, { clockStartedAt: clockStartedAt!, pauses: (await pausesOf(tx, row.id)).filter((pause) => pause.startedAt >= clockStartedAt!), now }).dueAt : row.dueAt;
  const nextState = isVerified && (row.state === "received" || row.state === "identity_pending") ? "in_progress" : row.state;
  await updateVersioned(tx, row, row.version, {
    identityState: input.result,
    identityEvidence: evidence,
    identityVerifiedById: actor.user.id,
    identityVerifiedAt: now,
    identityInformationReceivedAt: arrivals.informationReceivedAt,
    feeReceivedAt: arrivals.feeReceivedAt,
    state: nextState,
    ...(startsClock ? { clockStartedAt, dueAt } : {}),
  });
  await appendAuditEvent(tx, actor.audit, event(row, isVerified ? "privacy_request.identity_verified" : "privacy_request.identity_failed", {
    changes: {
      before: { identityState: row.identityState, state: row.state, clockStartedAt: row.clockStartedAt?.toISOString() ?? null, dueAt: row.dueAt.toISOString() },
      after: {
        identityState: input.result,
        state: nextState,
        identityInformationReceivedAt: arrivals.informationReceivedAt?.toISOString() ?? null,
        feeReceivedAt: arrivals.feeReceivedAt?.toISOString() ?? null,
        clockStartedAt: clockStartedAt?.toISOString() ?? null,
        dueAt: dueAt.toISOString(),
        evidence,
      },
    },
  }));
  if (!isVerified) return "Identity could not be verified. The request can be refused or the requester asked again.";
  return startsClock
    ? `Identity verified. The statutory clock runs from ${localDay(clockStartedAt!, timeZone)} (${regime.citation}); due ${localDay(dueAt, timeZone)}.`
    : "Identity verified.";
}

/** The days the identity information and any fee arrived, as instants: not before receipt, not in the future. */
function identityArrivals(row: RequestRow, input: { informationReceivedOn?: string; feeReceivedOn?: string }, timeZone: string, now: Date) {
  const today = localDay(now, timeZone);
  const receivedDay = localDay(row.receivedAt, timeZone);
  const instantOf = (day: string | undefined, field: "informationReceivedOn" | "feeReceivedOn", what: string) => {
    if (!day) return null;
    if (day > today) throw new PrivacyRequestRefusedError(`the day the ${what} arrived cannot be after today (${today} in ${timeZone})`, field, 422);
    // What arrived with (or before) the request counts as arriving with it.
    if (day <= receivedDay) return row.receivedAt;
    return day === today ? now : startOfLocalDay(day, timeZone);
  };
  return {
    informationReceivedAt: instantOf(input.informationReceivedOn, "informationReceivedOn", "identity information"),
    feeReceivedAt: instantOf(input.feeReceivedOn, "feeReceivedOn", "fee"),
  };
}

async function pausesOf(tx: Tx, requestId: string) {
  return tx.privacyRequestPause.findMany({ where: { requestId }, select: { startedAt: true, endedAt: true } });
}

async function assign(tx: Tx, actor: Actor, row: RequestRow, input: { assigneeId: string }) {
  requireRecordPermission(actor, "assign", "PrivacyRequest", row);
  requireOpen(row);
  const handler = (await handlersOf(tx, row.regionCode)).find((candidate) => candidate.id === input.assigneeId);
  if (!handler) throw new PrivacyRequestRefusedError(`choose an active DPO or compliance officer who covers ${row.regionCode}`, "assigneeId", 422);
  if (row.assigneeId === handler.id) throw new PrivacyRequestRefusedError(`${handler.displayName} already works this request`, "assigneeId");
  await updateVersioned(tx, row, row.version, { assigneeId: handler.id });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.assigned", { changes: { before: { assigneeId: row.assigneeId }, after: { assigneeId: handler.id } } }));
  return `Assigned to ${handler.displayName}.`;
}

async function addNote(tx: Tx, actor: Actor, row: RequestRow, input: { body: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  const note = await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, input.body) }, select: { id: true } });
  await updateVersioned(tx, row, row.version, {});
  // The note's text may name the subject, so the event carries its id, not its body.
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.note_added", { changes: { noteId: note.id } }));
  return "Note added.";
}

async function extend(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "extend" }>) {
  requireRecordPermission(actor, "extend", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireNotUnverifiedDuplicate(row, "extend the deadline");
  if (!row.clockStartedAt) throw new PrivacyRequestRefusedError("the clock has not started (identity not confirmed yet); there is nothing to extend", "extendBy");
  const { regime, timeZone } = regimeForRegion(row.regionCode);
  const now = new Date();
  const today = localDay(now, timeZone);
  if (input.notifiedOn && input.notifiedOn > today) throw new PrivacyRequestRefusedError("the requester cannot have been told in the future", "notifiedOn", 422);
  const notifiedAt = input.notifiedOn ? (input.notifiedOn === today ? now : startOfLocalDay(input.notifiedOn, timeZone)) : null;
  const extension = regime.extension && "days" in regime.extension.max ? { days: input.extendBy } : { months: input.extendBy };
  const problem = extensionProblem(regime, {
    extension,
    reason: input.reason,
    notifiedAt,
    dueAt: row.dueAt,
    alreadyExtended: row.extendedDueAt !== null,
    now,
  });
  // The form asks for the day the requester was told (notifiedOn); the policy check names the instant.
  if (problem) throw new PrivacyRequestRefusedError(problem.message, problem.field === "notifiedAt" ? "notifiedOn" : problem.field, 422);
  const extendedDueAt = extendedDueDate(row.dueAt, extension, timeZone);
  await updateVersioned(tx, row, row.version, { extendedDueAt, extensionReason: await encryptRequestText(tx, row, input.reason!.trim()), extensionNotifiedAt: notifiedAt });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.extended", {
    justification: input.reason!.trim(),
    changes: {
      before: { dueAt: row.dueAt.toISOString() },
      after: { extendedDueAt: extendedDueAt.toISOString(), extension: describeDuration(extension), extensionNotifiedAt: notifiedAt?.toISOString() ?? null },
    },
  }));
  return `Deadline extended by ${describeDuration(extension)} to ${localDay(extendedDueAt, timeZone)}.`;
}

async function pause(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireNotUnverifiedDuplicate(row, "pause the clock");
  const { regime } = regimeForRegion(row.regionCode);
  if (!regime.pausesForClarification) throw new PrivacyRequestRefusedError(`the ${regime.label} clock does not pause while the scope is clarified`, "reason");
  if (!row.clockStartedAt) throw new PrivacyRequestRefusedError("the clock has not started yet (identity not confirmed); there is nothing to pause", "reason");
  requireNotPaused(row);
  const now = new Date();
  const created = await tx.privacyRequestPause.create({ data: { requestId: row.id, reason: await encryptRequestText(tx, row, input.reason), startedAt: now, startedById: actor.user.id }, select: { id: true } });
  await updateVersioned(tx, row, row.version, { state: "scope_clarification" });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.paused", {
    justification: input.reason,
    changes: { before: { state: row.state }, after: { state: "scope_clarification", pauseId: created.id, startedAt: now.toISOString() } },
  }));
  return "Clock paused while the scope is clarified. Resume it when the requester answers.";
}

async function resume(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  const open = row.pauses[0];
  if (!open) throw new PrivacyRequestRefusedError("the clock is not paused");
  const { timeZone } = regimeForRegion(row.regionCode);
  const now = new Date();
  const days = pausedDays([{ startedAt: open.startedAt, endedAt: now }], timeZone, now);
  const dueAt = moveDueDate(row.dueAt, days, timeZone);
  const extendedDueAt = row.extendedDueAt ? moveDueDate(row.extendedDueAt, days, timeZone) : null;
  await tx.privacyRequestPause.update({ where: { id: open.id }, data: { endedAt: now } });
  await updateVersioned(tx, row, row.version, { state: "in_progress", dueAt, extendedDueAt });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.resumed", {
    changes: {
      before: { state: row.state, dueAt: row.dueAt.toISOString(), extendedDueAt: row.extendedDueAt?.toISOString() ?? null },
      after: { state: "in_progress", dueAt: dueAt.toISOString(), extendedDueAt: extendedDueAt?.toISOString() ?? null, pauseId: open.id, pausedDays: days },
    },
  }));
  return days === 0 ? "Clock resumed (paused less than a day: the due date is unchanged)." : `Clock resumed; the due date moved by ${days} ${days === 1 ? "day" : "days"} to ${localDay(dueAt, timeZone)}.`;
}

async function proposeRefusal(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "refuse", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  // A duplicate whose requester failed identity checks may be refused; an unchecked one may not.
  if (row.identityState !== "failed") requireNotUnverifiedDuplicate(row, "refuse it");
  const reason = input.reason.trim();
  if (reason.length < 10) throw new PrivacyRequestRefusedError("give the reason for the refusal (at least 10 characters)", "reason", 422);
  const now = new Date();
  await updateVersioned(tx, row, row.version, {
    state: "awaiting_approval",
    pendingAction: "refusal",
    refusalReason: await encryptRequestText(tx, row, reason),
    approvalRequestedById: actor.user.id,
    approvalRequestedAt: now,
    approverId: null,
    approvedAt: null,
  });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_proposed", {
    justification: reason,
    changes: { before: { state: row.state }, after: { state: "awaiting_approval", pendingAction: "refusal" } },
  }));
  return "Refusal proposed. A second DPO must approve it before the requester is told.";
}

function stateBeforeApproval(row: RequestRow) {
  if (row.identityState === "verified") return row.pauses.length > 0 ? "scope_clarification" : "in_progress";
  return row.identityState === "pending" ? "identity_pending" : "received";
}

async function approveRefusal(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "approve", "PrivacyRequest", row);
  if (row.pendingAction !== "refusal") throw new PrivacyRequestRefusedError("no refusal is waiting for approval on this request");
  // Four-eyes (DESIGN.md §5): the proposer never approves their own refusal.
  if (row.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second DPO must approve a refusal you proposed");
  }
  if (row.identityState !== "failed") requireNotUnverifiedDuplicate(row, "approve its refusal");
  const now = new Date();
  const notice = complaintRightNotice(row.regionCode);
  const [refusalReason] = await decryptRequestTexts(tx, [{ request: row, value: row.refusalReason }]);
  await updateVersioned(tx, row, row.version, {
    state: "refused",
    pendingAction: null,
    approverId: actor.user.id,
    approvedAt: now,
    complaintRightNotice: notice,
    completedById: actor.user.id,
    completedAt: now,
  });
  // Pauses end with the request.
  if (row.pauses[0]) await tx.privacyRequestPause.update({ where: { id: row.pauses[0].id }, data: { endedAt: now } });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_approved", {
    justification: refusalReason,
    changes: { before: { state: row.state }, after: { state: "refused", proposedBy: row.approvalRequestedById, complaintRightNotice: notice } },
  }));
  return "Refusal approved. Tell the requester the reason and their right to complain.";
}

async function rejectRefusal(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "approve", "PrivacyRequest", row);
  if (row.pendingAction !== "refusal") throw new PrivacyRequestRefusedError("no refusal is waiting for approval on this request");
  if (row.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second DPO decides a refusal you proposed; add a note to withdraw it");
  }
  const state = stateBeforeApproval(row);
  const [proposed] = await decryptRequestTexts(tx, [{ request: row, value: row.refusalReason }]);
  await updateVersioned(tx, row, row.version, { state, pendingAction: null, refusalReason: null, approvalRequestedById: null, approvalRequestedAt: null });
  // The withdrawn reason leaves the request's column: the note keeps it on the request (which erasure cleans).
  await tx.privacyRequestNote.create({
    data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Refusal not approved: ${input.reason}${proposed ? ` (proposed reason: ${proposed})` : ""}`) },
  });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_rejected", {
    justification: input.reason,
    sealedText: { withdrawnRefusalReason: proposed },
    changes: { before: { state: row.state, pendingAction: "refusal" }, after: { state } },
  }));
  return "Refusal rejected; the request is open again.";
}

async function completeDirectly(tx: Tx, actor: Actor, row: RequestRow, input: { note: string }) {
  // Erasures complete through their executed plan; access and portability through the signed export.
  if (!["rectification", "restriction", "objection"].includes(row.type)) {
    throw new PrivacyRequestRefusedError(
      row.type === "erasure" ? "an erasure request completes when its approved plan is executed" : `a ${row.type} request completes when its signed export is delivered`,
    );
  }
  await completePrivacyRequest(tx, actor, row.id, { note: input.note });
  return "Request completed.";
}

// ── Rectification, restriction and objection (GDPR Art. 16, 18, 21) ──────────────────────────────

const personalDataColumns = { fullName: true, email: true, phone: true, dateOfBirth: true, street: true, postalCode: true, city: true, country: true } as const;

async function rectify(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "rectify" }>) {
  requireType(row, "rectification", "change personal data");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "rectify", "Customer", customer);
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "change personal data");
  if (customer.erasedAt) throw new PrivacyRequestRefusedError("this customer was erased; no personal data is held");
  const stored = await readPersonalDataForSystem(tx, customer.id, "rectification");
  if (!stored) throw new PrivacyRequestRefusedError("no personal data is held for this customer");
  const current: Record<string, string> = { ...stored, updatedAt: stored.updatedAt.toISOString() };
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const field of Object.keys(personalDataColumns) as (keyof typeof personalDataColumns)[]) {
    const value = input[field];
    if (value !== undefined && value !== current[field]) {
      before[field] = current[field]!;
      after[field] = value;
    }
  }
  const changed = Object.keys(after);
  if (changed.length === 0) throw new PrivacyRequestRefusedError("enter at least one new value that differs from what is held", "fullName", 422);
  await writePersonalData(tx, customer.id, after);
  await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Rectified: ${changed.join(", ")}.`) } });
  await updateVersioned(tx, row, row.version, {});
  // The old values exist from now on only in this event, sealed under the subject's key (crypto-shredding).
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.personal_data_rectified",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    changes: { fields: changed, requestId: row.id, reference: row.reference },
    personalData: { customerId: customer.id, fields: { before, after } },
  });
  return `Rectified ${changed.join(", ")}. The previous values are kept only in the audit ledger, encrypted under the customer's key.`;
}

async function restrict(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireType(row, "restriction", "restrict processing");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "restrict", "Customer", customer);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "restrict processing");
  if (customer.isRestricted) throw new PrivacyRequestRefusedError("processing of this customer's data is already restricted");
  const now = new Date();
  await tx.customer.update({ where: { id: customer.id }, data: { isRestricted: true, restrictedAt: now } });
  await updateVersioned(tx, row, row.version, {});
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.processing_restricted",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    justification: input.reason,
    freeTextSubject: { customerId: customer.id },
    changes: { before: { isRestricted: false }, after: { isRestricted: true, restrictedAt: now.toISOString() }, requestId: row.id, reference: row.reference },
  });
  return "Processing restricted: the customer's personal data is withheld from processing views and exports.";
}

async function liftRestriction(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireType(row, "restriction", "lift a restriction");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "restrict", "Customer", customer);
  if (!customer.isRestricted) throw new PrivacyRequestRefusedError("processing of this customer's data is not restricted");
  await tx.customer.update({ where: { id: customer.id }, data: { isRestricted: false, restrictedAt: null } });
  await updateVersioned(tx, row, row.version, {});
  // GDPR Art. 18(3): the subject is told before a restriction is lifted; the reason is recorded.
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.restriction_lifted",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    justification: input.reason,
    freeTextSubject: { customerId: customer.id },
    changes: { before: { isRestricted: true, restrictedAt: customer.restrictedAt?.toISOString() ?? null }, after: { isRestricted: false }, requestId: row.id, reference: row.reference },
  });
  return "Restriction lifted.";
}

async function recordObjection(tx: Tx, actor: Actor, row: RequestRow, input: { grounds: string; routeToId: string }) {
  requireType(row, "objection", "record an objection");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "record the objection");
  const handler = (await handlersOf(tx, row.regionCode)).find((candidate) => candidate.id === input.routeToId);
  if (!handler) throw new PrivacyRequestRefusedError(`choose an active DPO or compliance officer who covers ${row.regionCode}`, "routeToId", 422);
  const now = new Date();
  const objectedAt = customer.objectedAt ?? now;
  await tx.customer.update({ where: { id: customer.id }, data: { objectedAt } });
  await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Objection recorded and routed to ${handler.displayName}. Grounds: ${input.grounds}`) } });
  await updateVersioned(tx, row, row.version, { assigneeId: handler.id });
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.objection_recorded",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    // The grounds may describe the person's situation: sealed under their key, not in clear.
    personalData: { customerId: customer.id, fields: { grounds: input.grounds } },
    changes: { before: { objectedAt: customer.objectedAt?.toISOString() ?? null, assigneeId: row.assigneeId }, after: { objectedAt: objectedAt.toISOString(), assigneeId: handler.id }, requestId: row.id, reference: row.reference },
  });
  return `Objection recorded on the customer and routed to ${handler.displayName}.`;
}
