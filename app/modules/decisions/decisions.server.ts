import { isProcessingRestricted, unrestrictedSubjectFilter } from "~/modules/privacy/restriction";
import { db, queryRows } from "~/utils/db.server";
import { freeTextNote } from "~/modules/audit/free-text";
import { decryptRequestTexts } from "~/modules/customers/subject-text.server";
import { decryptReviewFields } from "./review-text.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import type { Prisma } from "~/generated/prisma/client";
import type { DecisionKind, DecisionOutcome, ReviewState } from "~/generated/prisma/enums";
import { accessibleWhere, canReadPersonalData, subjectOf } from "~/modules/access/ability.server";
import { requirePermission, requireRecordPermission, type Actor, missingRecord } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { badQuery, decodeCursor, encodeCursor, PAGE_SIZE } from "~/components/data-table/url-state";
import { findReasonCode, getCustomerText, reasonCodes } from "./reason-codes.server";
import { noticeUnavailableReason } from "./notices.server";
import { slaOf } from "./sla";
import type { DecisionListQuery, DecisionSortKey } from "./schema";
import { decisionPageStatement, type DecisionPageRow, type PageCursor, type SortValue } from "./decision-page.server";

// The decision explorer (DESIGN.md §8): up to millions of immutable decisions, read within the
// viewer's access and region filter. Pages are keyset-paged on (sort column, id), which the
// (decided_at, id) indexes serve at any depth; OFFSET would scan every skipped row.

type CursorValue = [string | number, string];

const cursorValue: Record<DecisionSortKey, (row: DecisionPageRow) => string | number> = {
  decidedAt: (row) => row.decidedAt.toISOString(),
  score: (row) => row.score,
  // numeric(14,2) travels as its exact decimal text, never through a float.
  amount: (row) => row.amount,
};

function cursorOf(row: DecisionPageRow, sort: DecisionSortKey): string {
  return encodeCursor([cursorValue[sort](row), row.id] satisfies CursorValue);
}

/** The sort value a cursor carries, checked against the sort it claims to belong to. */
function sortValueOf(raw: unknown, sort: DecisionSortKey): SortValue | null {
  if (sort === "decidedAt") {
    const date = typeof raw === "string" ? new Date(raw) : new Date(Number.NaN);
    return Number.isNaN(date.getTime()) ? null : date;
  }
  if (sort === "score") return typeof raw === "number" && Number.isFinite(raw) ? raw : null;
  return typeof raw === "string" && /^-?\d{1,12}\.\d{2}$/.test(raw) ? raw : null;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readCursor(cursor: string, sort: DecisionSortKey, field: "after" | "before"): PageCursor {
  const decoded = decodeCursor(cursor);
  const invalid = () => badQuery([{ field, message: "is not a page of this list (it may belong to another sort); start from the first page" }]);
  if (!Array.isArray(decoded) || decoded.length !== 2 || typeof decoded[1] !== "string" || !uuidPattern.test(decoded[1])) throw invalid();
  const value = sortValueOf(decoded[0], sort);
  if (value === null) throw invalid();
  return { value, id: decoded[1] };
}

/** The explorer's filter as Prisma conditions, always within the viewer's access and region filter (the CSV export's query; the page sends the same conditions as SQL, decision-page.server.ts). */
export function filtersOf(actor: Actor, query: DecisionListQuery, action: "read" | "export" = "read"): Prisma.DecisionWhereInput[] {
  // Customers who restricted processing (GDPR Art. 18) are left out of the list and its export (ADR 007).
  const filters: Prisma.DecisionWhereInput[] = [accessibleWhere(actor.ability, action, "Decision"), regionScope(actor, query.region), unrestrictedSubjectFilter];
  if (query.kind) filters.push({ kind: query.kind });
  if (query.outcome) filters.push({ outcome: query.outcome });
  if (query.review) filters.push({ reviewState: query.review });
  if (query.ruleSet === "not_in_force") filters.push({ ruleSetVersionNotInForce: true });
  if (query.ageBand) filters.push(ageBandFilter(query.ageBand));
  if (query.fraudOutcome) filters.push({ fraudOutcomes: { some: { outcome: query.fraudOutcome } } });
  if (query.delinquency) filters.push({ repayments: { some: { status: { in: query.delinquency === "30" ? ["late_30", "default_90"] : ["default_90"] } } } });
  if (query.model) filters.push({ modelVersion: query.model.version, ...(query.model.name ? { modelName: query.model.name } : {}) });
  if (query.customer) filters.push({ customerId: query.customer });
  if (query.customerRef) filters.push({ customer: { is: { reference: query.customerRef } } });
  if (query.scoreMin !== undefined) filters.push({ score: { gte: query.scoreMin } });
  if (query.scoreMax !== undefined) filters.push({ score: { lte: query.scoreMax } });
  if (query.amountMin !== undefined) filters.push({ amount: { gte: query.amountMin } });
  if (query.amountMax !== undefined) filters.push({ amount: { lte: query.amountMax } });
  if (query.reason) filters.push({ reasons: { some: { code: query.reason } } });
  if (query.from) filters.push({ decidedAt: { gte: query.from } });
  // `to` is a calendar day: include all of it.
  if (query.to) filters.push({ decidedAt: { lt: new Date(query.to.getTime() + 86_400_000) } });
  return filters;
}

/** The age band as JSON-path bounds on features.age (the same bands as the database's rollup_age_band). */
function ageBandFilter(band: NonNullable<DecisionListQuery["ageBand"]>): Prisma.DecisionWhereInput {
  const bounds: Record<typeof band, [number | null, number | null]> = {
    "under 18": [null, 18],
    "18-24": [18, 25],
    "25-34": [25, 35],
    "35-44": [35, 45],
    "45-54": [45, 55],
    "55-64": [55, 65],
    "65+": [65, null],
  };
  const [low, high] = bounds[band];
  return {
    AND: [
      ...(low === null ? [] : [{ features: { path: ["age"], gte: low } }]),
      ...(high === null ? [] : [{ features: { path: ["age"], lt: high } }]),
    ],
  };
}

/** numeric(14,2) text as Prisma's Decimal prints it ("1200.00" → "1200", "450.50" → "450.5"), as the page always showed it. */
function decimalText(text: string) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

// Written out field by field: rest/spread copying was the larger part of the loader's own time per page.
function toListItem(row: DecisionPageRow) {
  return {
    id: row.id,
    externalId: row.externalId,
    decidedAt: row.decidedAt,
    regionCode: row.regionCode,
    kind: row.kind as DecisionKind,
    outcome: row.outcome as DecisionOutcome,
    score: row.score,
    amount: decimalText(row.amount),
    currency: row.currency,
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    reviewState: row.reviewState as ReviewState,
    customerReference: row.reference,
    principalReason: row.principal,
  };
}

export type DecisionListItem = ReturnType<typeof toListItem>;

/** One page of the explorer, with the choices its filter bar offers. */
export async function listDecisions(actor: Actor, query: DecisionListQuery) {
  requirePermission(actor, "read", "Decision");
  const [page, options] = await Promise.all([readDecisionPage(actor, query), listDecisionFilterOptions(actor)]);
  return { ...page, options, canExport: actor.ability.can("export", "Decision") };
}

async function readDecisionPage(actor: Actor, query: DecisionListQuery) {
  const { sort, order } = query;
  const reverse = order === "desc" ? "asc" : "desc";
  const canReadReference = actor.ability.can("read", "Customer", "reference");

  function readPage(direction: "asc" | "desc", cursor?: PageCursor) {
    const statement = decisionPageStatement(actor, query, direction, { cursor, canReadReference });
    return queryRows<DecisionPageRow>(statement.text, statement.values);
  }

  let rows: DecisionPageRow[];
  let nextCursor: string | null = null;
  let previousCursor: string | null = null;

  if (query.before) {
    const cursor = readCursor(query.before, sort, "before");
    const back = await readPage(reverse, cursor);
    if (back.length > PAGE_SIZE) {
      rows = back.slice(0, PAGE_SIZE).reverse();
      previousCursor = cursorOf(rows[0]!, sort);
      nextCursor = cursorOf(rows[rows.length - 1]!, sort);
    } else {
      // Back at the start: show a full first page rather than the few rows left before the cursor.
      const first = await readPage(order);
      rows = first.slice(0, PAGE_SIZE);
      nextCursor = first.length > PAGE_SIZE ? cursorOf(rows[rows.length - 1]!, sort) : null;
    }
  } else {
    const cursor = query.after ? readCursor(query.after, sort, "after") : undefined;
    const page = await readPage(order, cursor);
    rows = page.slice(0, PAGE_SIZE);
    nextCursor = page.length > PAGE_SIZE ? cursorOf(rows[rows.length - 1]!, sort) : null;
    previousCursor = cursor && rows.length > 0 ? cursorOf(rows[0]!, sort) : null;
  }

  return {
    decisions: rows.map(toListItem),
    paging: { kind: "keyset" as const, nextCursor, previousCursor },
    sort: { key: sort, order },
  };
}

// The filter bar's model versions change only when a new model version is ingested, yet cost one
// index probe per (model, version) pair: they are kept for a minute per access scope (the exact
// conditions the viewer's ability and region filter produce), so paging costs only the page query.
const FILTER_OPTIONS_TTL_MS = 60_000;
const filterOptionsCache = new Map<string, { expiresAt: number; value: Promise<{ value: string; label: string }[]> }>();

/** Choices for the explorer's filter bar, within what the viewer may see. */
async function listDecisionFilterOptions(actor: Actor) {
  const scope = [accessibleWhere(actor.ability, "read", "Decision"), regionScope(actor)];
  const key = JSON.stringify(scope);
  const now = Date.now();
  let cached = filterOptionsCache.get(key);
  if (!cached || cached.expiresAt <= now) {
    if (filterOptionsCache.size > 200) filterOptionsCache.clear();
    cached = { expiresAt: now + FILTER_OPTIONS_TTL_MS, value: listVisibleModelVersions(scope) };
    filterOptionsCache.set(key, cached);
    cached.value.catch(() => filterOptionsCache.delete(key));
  }
  return {
    regions: actor.regionFilter,
    modelVersions: await cached.value,
    reasonCodes: reasonCodes.map((reason) => ({ value: reason.code, label: `${reason.code} · ${reason.description}` })),
  };
}

async function listVisibleModelVersions(scope: Prisma.DecisionWhereInput[]) {
  // A GROUP BY over every decision costs a full scan (≈0.7 s at a million rows). The distinct
  // (model, version) pairs come instead from a loose index scan — one index probe per pair — and each
  // pair is kept only if the viewer can see at least one decision made with it.
  const pairs = await db.$queryRaw<{ modelName: string; modelVersion: string }[]>`
    WITH RECURSIVE pairs AS (
      (SELECT model_name, model_version FROM decision ORDER BY model_name, model_version LIMIT 1)
      UNION ALL
      SELECT next.model_name, next.model_version
      FROM pairs, LATERAL (
        SELECT d.model_name, d.model_version FROM decision d
        WHERE (d.model_name, d.model_version) > (pairs.model_name, pairs.model_version)
        ORDER BY d.model_name, d.model_version LIMIT 1
      ) next
    )
    SELECT model_name AS "modelName", model_version AS "modelVersion" FROM pairs`;
  const visible = await Promise.all(
    pairs.map((pair) =>
      db.decision.findFirst({ where: { AND: [...scope, { modelName: pair.modelName, modelVersion: pair.modelVersion }] }, select: { id: true } }),
    ),
  );
  const models = pairs.filter((_, index) => visible[index] !== null);
  return models.map((model) => ({ value: `${model.modelName}@${model.modelVersion}`, label: `${model.modelName} ${model.modelVersion}` }));
}

function formatFeatureValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return Number.isInteger(value) ? value.toLocaleString("en") : value.toLocaleString("en", { maximumFractionDigits: 4 });
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

const reviewDetailSelect = {
  id: true,
  trigger: true,
  status: true,
  priority: true,
  version: true,
  regionCode: true,
  openedAt: true,
  dueAt: true,
  assignedAt: true,
  claimedAt: true,
  escalatedAt: true,
  verdict: true,
  verdictReason: true,
  justification: true,
  decidedAt: true,
  approvedAt: true,
  approvalRejectedReason: true,
  closedAt: true,
  privacyRequestId: true,
  claimedById: true,
  reviewerId: true,
  assignee: { select: { displayName: true } },
  claimedBy: { select: { displayName: true } },
  reviewer: { select: { displayName: true } },
  approver: { select: { displayName: true } },
  privacyRequest: { select: { id: true, customerId: true, reference: true, details: true, channel: true, receivedAt: true, dueAt: true, state: true } },
} satisfies Prisma.ReviewSelect;

type ReviewDetailRow = Prisma.ReviewGetPayload<{ select: typeof reviewDetailSelect }>;

/** What the viewer may do with one review right now (controls only; the module checks again). */
function reviewControls(actor: Actor, review: ReviewDetailRow) {
  const subject = subjectOf("Review", { id: review.id, regionCode: review.regionCode, trigger: review.trigger, status: review.status }) as never;
  const isHolder = review.claimedById === actor.user.id;
  return {
    canClaim: review.status === "open" && actor.ability.can("claim", subject),
    canRelease: review.status === "claimed" && actor.ability.can("claim", subject) && (isHolder || actor.ability.can("assign", subject)),
    canDecide: review.status === "claimed" && isHolder && actor.ability.can("decide", subject),
    canApprove: review.status === "awaiting_approval" && review.reviewerId !== actor.user.id && actor.ability.can("approve", subject),
    isOwnProposal: review.status === "awaiting_approval" && review.reviewerId === actor.user.id,
    canEscalate: review.status !== "closed" && !review.escalatedAt && actor.ability.can("claim", subject),
  };
}

/** One decision with everything a reviewer or auditor needs to judge it. 403 outside the viewer's regions. */
export async function getDecision(actor: Actor, decisionId: string) {
  const decision = await db.decision.findUnique({
    where: { id: decisionId },
    include: {
      customer: { select: { id: true, reference: true, regionCode: true, isRestricted: true } },
      ruleSetVersion: { select: { id: true, version: true, regionCode: true, state: true } },
      reasons: { orderBy: { position: "asc" } },
      repayments: { orderBy: { observedAt: "desc" } },
    },
  });
  if (!decision) throw missingRecord(actor, "read", "Decision");
  const { customer, ruleSetVersion, reasons, repayments, ...scalars } = decision;
  requireRecordPermission(actor, "read", "Decision", scalars);

  const can = (subjectType: "Review" | "FraudOutcome" | "AuditEvent" | "Customer" | "RuleSetVersion" | "PrivacyRequest") =>
    actor.ability.can("read", subjectType as never);
  // GDPR Art. 18: for a customer who restricted processing, the decision record itself stays readable
  // (kept for legal claims, Art. 18(2), and needed to review it), but what links them beyond it — their
  // own words in a contest and their other decisions — is withheld, as on the customer page, from all
  // but the roles that handle the restriction (the DPO).
  const isCustomerDataWithheld = isProcessingRestricted(customer) && !actor.ability.can("restrict", subjectOf("Customer", customer) as never);

  const [reviews, fraudOutcomes, otherDecisions, notices] = await Promise.all([
    can("Review")
      ? db.review.findMany({
          where: { AND: [accessibleWhere(actor.ability, "read", "Review"), { decisionId }] },
          orderBy: [{ openedAt: "desc" }, { id: "asc" }],
          select: reviewDetailSelect,
        })
      : null,
    can("FraudOutcome")
      ? db.fraudOutcome.findMany({
          where: { AND: [accessibleWhere(actor.ability, "read", "FraudOutcome"), { decisionId }] },
          orderBy: { reportedAt: "desc" },
        })
      : null,
    // The customer's other decisions the viewer may see, with their repayment history (no personal data).
    isCustomerDataWithheld ? Promise.resolve([]) : db.decision.findMany({
      where: { AND: [accessibleWhere(actor.ability, "read", "Decision"), { customerId: customer.id, id: { not: decisionId } }] },
      orderBy: [{ decidedAt: "desc" }, { id: "desc" }],
      take: 25,
      select: {
        id: true,
        externalId: true,
        decidedAt: true,
        kind: true,
        outcome: true,
        amount: true,
        currency: true,
        reviewState: true,
        repayments: { orderBy: { observedAt: "desc" }, take: 1, select: { status: true, observedAt: true } },
      },
    }),
    db.decisionNotice.findMany({
      where: { decisionId },
      orderBy: { generatedAt: "desc" },
      take: 20,
      select: { id: true, kind: true, locale: true, reasonCodes: true, contentSha256: true, generatedAt: true, generatedBy: { select: { displayName: true } } },
    }),
  ]);

  // Every ledger event about the decision, its reviews and the contests of it (each links to its proof).
  const relatedSubjects = [
    { subjectType: "Decision", subjectId: decisionId },
    ...(reviews ?? []).map((review) => ({ subjectType: "Review", subjectId: review.id })),
    ...(reviews ?? []).flatMap((review) => (review.privacyRequestId ? [{ subjectType: "PrivacyRequest", subjectId: review.privacyRequestId }] : [])),
  ];
  const auditEvents = can("AuditEvent")
    ? await db.auditEvent.findMany({
        where: { AND: [accessibleWhere(actor.ability, "read", "AuditEvent"), { OR: relatedSubjects }] },
        orderBy: { seq: "desc" },
        take: 200,
        select: { seq: true, occurredAt: true, action: true, actorLabel: true, actorRole: true, justification: true, changes: true, subjectType: true },
      })
    : null;

  const { features: rawFeatures, amount, ...facts } = scalars;
  const features = rawFeatures && typeof rawFeatures === "object" && !Array.isArray(rawFeatures) ? rawFeatures : {};
  const canReadContests = can("PrivacyRequest");
  // A contest's words are the customer's free text: only for a role that may read their personal data
  // fields (decided on this customer record, as the customer page does), and not while restricted.
  const canReadContestWords = canReadContests && !isCustomerDataWithheld && canReadPersonalData(actor.ability, customer);
  const decisionSubject = subjectOf("Decision", scalars) as never;
  const disclosedContests: string[] = [];

  // The contest's words are decrypted only for those who may read them (ADR 009).
  const readableContests = (reviews ?? []).flatMap(({ privacyRequest, ...review }) => {
    const controls = reviewControls(actor, review as ReviewDetailRow);
    const mayReadWords = canReadContestWords || (!isCustomerDataWithheld && (controls.canDecide || controls.canApprove));
    return privacyRequest?.details && mayReadWords ? [privacyRequest] : [];
  });
  // The reviewer's and approver's free text (ADR 020) is decrypted for those who work reviews of this
  // kind or may read the customer's personal data; other readers (an auditor) get neither text nor
  // ciphertext, only that it is withheld — as in an evidence pack.
  const mayReadPersonalData = canReadPersonalData(actor.ability, customer);
  const mayReadReviewText = (review: ReviewDetailRow) => {
    if (mayReadPersonalData) return true;
    const subject = subjectOf("Review", { id: review.id, regionCode: review.regionCode, trigger: review.trigger, status: review.status }) as never;
    return (["claim", "decide", "approve"] as const).some((action) => actor.ability.can(action, subject));
  };
  const textReviews = (reviews ?? []).filter((review) => mayReadReviewText(review as ReviewDetailRow));
  const reviewTexts = new Map(
    (
      await decryptReviewFields(
        db,
        textReviews.map((review) => ({
          owner: { customerId: customer.id, privacyRequestId: review.privacyRequestId },
          justification: review.justification,
          approvalRejectedReason: review.approvalRejectedReason,
        })),
      )
    ).map((texts, index) => [textReviews[index]!.id, texts]),
  );
  const contestWords = new Map(
    (await decryptRequestTexts(db, readableContests.map((request) => ({ request, value: request.details })))).map((words, index) => [readableContests[index]!.id, words]),
  );
  const view = {
    decision: { ...facts, amount: amount.toString() },
    customer: { id: customer.id, reference: customer.reference, canOpen: can("Customer"), isProcessingRestricted: customer.isRestricted, isDataWithheld: isCustomerDataWithheld },
    ruleSetVersion: ruleSetVersion ? { ...ruleSetVersion, canOpen: can("RuleSetVersion") } : null,
    reasons: reasons.map((reason) => {
      const catalogue = findReasonCode(reason.code);
      return {
        position: reason.position,
        code: reason.code,
        contribution: reason.contribution,
        description: catalogue?.description ?? null,
        category: catalogue?.category ?? null,
        isDisclosable: catalogue?.disclosable ?? null,
        customerText: catalogue ? getCustomerText(catalogue, "en") : null,
      };
    }),
    features: Object.entries(features)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value: formatFeatureValue(value) })),
    reviews:
      reviews?.map(({ privacyRequest, justification: storedJustification, approvalRejectedReason: storedSendBack, ...review }) => {
        const controls = reviewControls(actor, review as ReviewDetailRow);
        const texts = reviewTexts.get(review.id);
        // The person deciding (or approving) the review that answers a contest must hear the customer's
        // view (GDPR Art. 22(3)): they read it for that purpose, and the read is recorded below.
        const mayReadWords = canReadContestWords || (!isCustomerDataWithheld && (controls.canDecide || controls.canApprove));
        if (privacyRequest?.details && mayReadWords) disclosedContests.push(privacyRequest.id);
        const { customerId: _customerId, details: storedDetails, ...contestFacts } = privacyRequest ?? { customerId: null, details: null };
        return {
          ...review,
          justification: texts?.justification ?? null,
          approvalRejectedReason: texts?.approvalRejectedReason ?? null,
          // Why a recorded text is not shown: the role neither works this review nor reads personal data.
          isReviewTextWithheld: !texts && (storedJustification !== null || storedSendBack !== null),
          contest: privacyRequest
            ? {
                ...(contestFacts as Omit<NonNullable<typeof privacyRequest>, "customerId" | "details">),
                details: mayReadWords ? (contestWords.get(privacyRequest.id) ?? null) : null,
                canOpen: canReadContests,
                // Why the words are not shown: the customer restricted processing, or the role may not read their personal data.
                withheldBecause: isCustomerDataWithheld ? ("restricted" as const) : !mayReadWords && storedDetails ? ("personal_data" as const) : null,
              }
            : null,
          ...controls,
          ...slaOf(review),
        };
      }) ?? null,
    repayments: repayments.map((repayment) => ({ ...repayment, outstandingAmount: repayment.outstandingAmount.toString() })),
    otherDecisions: otherDecisions.map(({ amount: otherAmount, repayments: latest, ...other }) => ({
      ...other,
      amount: otherAmount.toString(),
      latestRepayment: latest[0] ?? null,
    })),
    fraudOutcomes: fraudOutcomes?.map((outcome) => ({ ...outcome, lossAmount: outcome.lossAmount?.toString() ?? null })) ?? null,
    auditEvents:
      auditEvents?.map(({ changes, ...event }) => ({ ...event, seq: event.seq.toString(), justification: event.justification ?? freeTextNote(changes) })) ?? null,
    notices: notices.map((notice) => ({ ...notice, generatedBy: notice.generatedBy?.displayName ?? null })),
    viewer: {
      id: actor.user.id,
      canGenerateNotice: actor.ability.can("notify", decisionSubject),
      openContest:
        (reviews ?? []).find((review) => review.privacyRequest && !["completed", "refused"].includes(review.privacyRequest.state))?.privacyRequest?.reference ?? null,
      canContest: actor.ability.can("contest", decisionSubject),
      noticeAvailability: {
        adverse_action: noticeUnavailableReason("adverse_action", scalars, null),
        review_outcome: noticeUnavailableReason(
          "review_outcome",
          scalars,
          (reviews ?? []).find((review) => (review.trigger === "contest" || review.privacyRequestId !== null) && review.status === "closed") ?? null,
        ),
      },
    },
  };
  // A customer's own words shown unmasked are a read of their personal data: one event per contest.
  if (disclosedContests.length > 0) {
    await db.$transaction(async (tx) => {
      for (const requestId of disclosedContests) {
        await appendAuditEvent(tx, actor.audit, {
          action: "privacy_request.details_read",
          subjectType: "PrivacyRequest",
          subjectId: requestId,
          regionCode: scalars.regionCode,
          changes: { decisionId: scalars.id, shownOn: "decision page" },
        });
      }
    });
  }
  return view;
}
