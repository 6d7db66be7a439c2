import { randomUUID } from "node:crypto";
import { subjectKeyState } from "~/modules/customers/subject-keys.server";
import { encryptRequestText } from "~/modules/customers/subject-text.server";
import { db, type Tx } from "~/utils/db.server";
import { notFound, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { withRefusalReason, type ApiCaller } from "~/modules/access/api-tokens.server";
import { findRegion } from "~/modules/access/regions.server";
import { appendAuditEvent, type AuditContext } from "~/modules/audit/ledger.server";
import { newPrivacyRequestReference } from "~/modules/privacy/privacy-requests.server";
import { dueDatesInRegion } from "~/modules/privacy/regimes.server";
import type { ContestInput } from "./schema";

// Contest intake (GDPR Art. 22(3), CCD2 Art. 18; DESIGN.md §9): the customer's request for a human to
// look again at an automated decision. It is recorded as a privacy request of type `contest` holding
// the customer's point of view, and is answered by a review that jumps the queue: the review already
// open for the decision if there is one, a new one otherwise.

/** Contests are worked before anything else in the queue (lower is more urgent). */
export const CONTEST_PRIORITY = 10;

export class ContestRefusedError extends Error {
  constructor(
    message: string,
    readonly status: 409 | 422,
    readonly existingReference?: string,
  ) {
    super(message);
    this.name = "ContestRefusedError";
  }
}

type DecisionForContest = { id: string; externalId: string; regionCode: string; customerId: string; outcome: string };

async function recordContest(
  tx: Tx,
  audit: AuditContext,
  decision: DecisionForContest,
  input: ContestInput,
  intake: { isIdentityVerified: boolean; evidence: Record<string, unknown> },
) {
  // Two contests of one decision arriving at once: the decision's row lock makes the second wait and
  // then find the first, so a decision never has two open contests.
  await tx.$queryRaw`SELECT id FROM decision WHERE id = ${decision.id}::uuid FOR UPDATE`;
  const existing = await tx.privacyRequest.findFirst({
    where: { type: "contest", decisionId: decision.id, state: { notIn: ["completed", "refused"] } },
    select: { reference: true },
  });
  if (existing) {
    throw new ContestRefusedError(`This decision already has an open contest (${existing.reference}); add to it instead of opening another.`, 409, existing.reference);
  }
  const region = findRegion(decision.regionCode);
  if (!region) throw new Error(`region ${decision.regionCode} is not in policies/regions.yaml`);
  const receivedAt = input.receivedAt ?? new Date();
  if (receivedAt.getTime() > Date.now() + 5 * 60_000) throw new ContestRefusedError("receivedAt lies in the future.", 422);
  // UK GDPR (Data (Use and Access) Act 2025): the clock starts once identity is confirmed.
  const clockStartedAt = region.privacyRegime === "uk_gdpr" && !intake.isIdentityVerified ? null : receivedAt;
  const { dueAt } = dueDatesInRegion(decision.regionCode, { clockStartedAt: clockStartedAt ?? receivedAt, now: receivedAt });
  const now = new Date();
  // The customer's words are encrypted under their data key (ADR 009); after an erasure destroyed it,
  // under the request's own key.
  const requestId = randomUUID();
  const request = await tx.privacyRequest.create({
    data: {
      id: requestId,
      reference: newPrivacyRequestReference(decision.regionCode, receivedAt),
      type: "contest",
      customerId: decision.customerId,
      decisionId: decision.id,
      regionCode: decision.regionCode,
      regime: region.privacyRegime,
      channel: input.channel,
      details: await encryptRequestText(tx, { id: requestId, customerId: decision.customerId }, input.details),
      receivedAt,
      clockStartedAt,
      dueAt,
      identityState: intake.isIdentityVerified ? "verified" : "pending",
      identityEvidence: intake.isIdentityVerified ? (intake.evidence as never) : undefined,
      identityVerifiedAt: intake.isIdentityVerified ? now : null,
      state: "in_progress",
    },
    select: { id: true, reference: true, dueAt: true },
  });
  // One decision, one reviewer at a time: a review already open (queued, claimed or awaiting a second
  // approver) answers the contest too. It takes the contest's priority and the earlier due date and
  // keeps its state and holder; the decision's review state is left as it is. Only with none open does
  // the contest open its own review. (The decision's row lock above serialises this with other intakes.)
  const openReview = await tx.review.findFirst({
    where: { decisionId: decision.id, status: { in: ["open", "claimed", "awaiting_approval"] } },
    orderBy: [{ openedAt: "asc" }, { id: "asc" }],
    select: { id: true, status: true, trigger: true, priority: true, dueAt: true, privacyRequestId: true, version: true },
  });
  let review: { id: string; priority: number; dueAt: Date; attached: Record<string, unknown> | null };
  if (openReview) {
    const priority = Math.min(openReview.priority, CONTEST_PRIORITY);
    const dueAt = openReview.dueAt.getTime() <= request.dueAt.getTime() ? openReview.dueAt : request.dueAt;
    // The version moves on, so a reviewer with the page open is told to reload and sees the contest.
    await tx.review.update({
      where: { id: openReview.id },
      data: { priority, dueAt, privacyRequestId: request.id, version: { increment: 1 } },
    });
    review = {
      id: openReview.id,
      priority,
      dueAt,
      attached: {
        trigger: openReview.trigger,
        status: openReview.status,
        before: { priority: openReview.priority, dueAt: openReview.dueAt.toISOString(), privacyRequestId: openReview.privacyRequestId, version: openReview.version },
        after: { priority, dueAt: dueAt.toISOString(), privacyRequestId: request.id, version: openReview.version + 1 },
      },
    };
  } else {
    const created = await tx.review.create({
      data: {
        decisionId: decision.id,
        regionCode: decision.regionCode,
        trigger: "contest",
        priority: CONTEST_PRIORITY,
        openedAt: now,
        dueAt: request.dueAt,
        privacyRequestId: request.id,
      },
      select: { id: true, priority: true, dueAt: true },
    });
    review = { ...created, attached: null };
    await tx.decision.update({ where: { id: decision.id }, data: { reviewState: "queued" } });
  }
  // After an erasure the subject's ledger key is gone for good: the words stay on the request only.
  const isKeyDestroyed = (await subjectKeyState(tx, decision.customerId)).isLedgerKeyDestroyed;
  await appendAuditEvent(tx, audit, {
    action: "contest.received",
    subjectType: "PrivacyRequest",
    subjectId: request.id,
    regionCode: decision.regionCode,
    changes: {
      after: {
        reference: request.reference,
        type: "contest",
        decisionId: decision.id,
        decisionExternalId: decision.externalId,
        reviewId: review.id,
        priority: review.priority,
        // Set when the contest joined a review already open for the decision instead of opening one.
        attachedToOpenReview: review.attached,
        channel: input.channel,
        regime: region.privacyRegime,
        dueAt: request.dueAt.toISOString(),
        isDetailsSealed: !isKeyDestroyed,
      },
    },
    // The customer's own words may contain personal data: sealed under their key.
    ...(isKeyDestroyed ? {} : { personalData: { customerId: decision.customerId, fields: { details: input.details } } }),
  });
  return {
    requestId: request.id,
    reference: request.reference,
    reviewId: review.id,
    dueAt: request.dueAt,
    priority: review.priority,
    isAttachedToOpenReview: review.attached !== null,
  };
}

const decisionSelect = { id: true, externalId: true, regionCode: true, customerId: true, outcome: true } as const;

/** A staff member records a contest received by phone, post or email, from the decision page. */
export async function contestDecisionAsStaff(actor: Actor, decisionId: string, input: ContestInput) {
  return db.$transaction(async (tx) => {
    const decision = await tx.decision.findUnique({ where: { id: decisionId }, select: decisionSelect });
    if (!decision) throw notFound("That decision");
    requireRecordPermission(actor, "read", "Decision", decision);
    requireRecordPermission(actor, "contest", "Decision", decision);
    // Identity is confirmed separately by the DPO for contests taken by staff (phone, post).
    return recordContest(tx, actor.audit, decision, input, { isIdentityVerified: false, evidence: {} });
  });
}

/**
 * The customer's app (through the decision engine's integration) submits a contest. The token must
 * hold `privacy:write` and the decision's region; a decision outside its regions is reported as not
 * found, so a token cannot probe other regions' external ids.
 */
export async function contestDecisionByApi(caller: ApiCaller, externalId: string, input: ContestInput) {
  return db.$transaction(async (tx) => {
    const decision = await tx.decision.findUnique({ where: { externalId }, select: decisionSelect });
    if (!decision || !caller.regions.includes(decision.regionCode)) {
      // The same answer for an unknown id and another region's; the ledger keeps which it was.
      const answer = Response.json({ error: `no decision with external id "${externalId}"` }, { status: 404 });
      throw withRefusalReason(answer, decision ? "outside_token_regions" : "unknown_decision");
    }
    // The customer signed in to the lender's app to send it: identity is that session's.
    return recordContest(tx, caller.audit, decision, input, {
      isIdentityVerified: true,
      evidence: { method: "authenticated_customer_channel", apiToken: caller.name, checkedAt: new Date().toISOString() },
    });
  });
}
