import { db, type Tx } from "~/utils/db.server";
import type { ReviewState, ReviewStatus } from "~/generated/prisma/enums";
import { defineAbilityFor, subjectOf } from "~/modules/access/ability.server";
import { forbidden, notFound, requirePermission, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import type { AuditAction } from "~/modules/audit/actions";
import { completePrivacyRequest, PrivacyRequestRefusedError, requirePrivacyRequestCompletable } from "~/modules/privacy/privacy-requests.server";
import type { Action } from "~/modules/access/policy.server";
import { encryptReviewText } from "./review-text.server";
import type { z } from "zod";
import type {
  ApproveReviewSchema,
  AssignReviewsSchema,
  ClaimReviewSchema,
  DecideReviewInput,
  EscalateReviewSchema,
  RejectReviewApprovalSchema,
} from "./schema";

// The review workflow (DESIGN.md §8, issue 4.5). One review moves
//   open → claimed (claim; release; a lead can reassign)
//        → closed             (uphold; or overturn of an approved or referred decision)
//        → awaiting_approval  (overturn of a decline or a fraud hold)
//             → closed on approval by a second person with `approve` who is not the reviewer
//             → claimed again when the approver sends it back with a reason.
// Decision.reviewState follows (queued, in_review, awaiting_approval, upheld, overturned).
// Every change is conditional on the review's version (optimistic concurrency): a writer who read an
// older version is refused with who changed it, never silently overwritten.

/** A refused transition: the person gets the message; nothing was written. */
export class ReviewRefusedError extends Error {
  constructor(
    message: string,
    readonly kind: "conflict" | "stale" | "four_eyes" | "state" = "state",
  ) {
    super(message);
    this.name = "ReviewRefusedError";
  }
}

const reviewSelect = {
  id: true,
  decisionId: true,
  regionCode: true,
  trigger: true,
  status: true,
  priority: true,
  version: true,
  assigneeId: true,
  claimedById: true,
  claimedAt: true,
  reviewerId: true,
  verdict: true,
  escalatedAt: true,
  privacyRequestId: true,
  claimedBy: { select: { displayName: true } },
  assignee: { select: { displayName: true } },
  decision: { select: { outcome: true, regionCode: true, reviewState: true, customerId: true } },
} as const;

type ReviewRow = NonNullable<Awaited<ReturnType<typeof readReview>>>;

/** A review's free text as stored: ciphertext under its customer's data key (ADR 020). */
function sealReviewText(tx: Tx, review: ReviewRow, text: string | null | undefined) {
  return encryptReviewText(tx, { customerId: review.decision.customerId, privacyRequestId: review.privacyRequestId }, text || null);
}

function readReview(tx: Tx, reviewId: string) {
  return tx.review.findUnique({ where: { id: reviewId }, select: reviewSelect });
}

/** The review as a CASL subject: only the columns the access conditions name. */
function asSubject(review: ReviewRow) {
  return { id: review.id, regionCode: review.regionCode, trigger: review.trigger, status: review.status };
}

async function loadReview(tx: Tx, actor: Actor, reviewId: string, action: Action) {
  const review = await readReview(tx, reviewId);
  if (!review) throw notFound("That review");
  // Reading first: someone who may not see the review learns nothing about it.
  requireRecordPermission(actor, "read", "Review", asSubject(review));
  requireRecordPermission(actor, action, "Review", asSubject(review));
  return review;
}

function timeOf(date: Date | null) {
  return date ? `${date.toISOString().slice(0, 16).replace("T", " ")} UTC` : "";
}

/** Why a conditional update matched nothing, in words a reviewer can act on. */
async function staleMessage(tx: Tx, actor: Actor, reviewId: string, expectedVersion: number) {
  const current = await readReview(tx, reviewId);
  if (!current) return new ReviewRefusedError("That review no longer exists.", "stale");
  if (current.status === "claimed" && current.claimedBy && current.claimedById !== actor.user.id) {
    return new ReviewRefusedError(
      `${current.claimedBy.displayName} is working on this review (claimed ${timeOf(current.claimedAt)}). Nothing was changed; reload to see its current state.`,
      "conflict",
    );
  }
  return new ReviewRefusedError(
    `This review was changed by someone else since you opened it (you had version ${expectedVersion}, it is now version ${current.version}, status ${current.status.replace(/_/g, " ")}). Nothing was changed; reload and try again.`,
    "stale",
  );
}

/** Applies `data` only if the review is still at `version` (and in one of `statuses`), else explains why not. */
async function updateAtVersion(
  tx: Tx,
  actor: Actor,
  review: ReviewRow,
  version: number,
  statuses: ReviewStatus[],
  data: Parameters<Tx["review"]["updateMany"]>[0]["data"],
) {
  const updated = await tx.review.updateMany({
    where: { id: review.id, version, status: { in: statuses } },
    data: { ...data, version: { increment: 1 } },
  });
  if (updated.count === 0) throw await staleMessage(tx, actor, review.id, version);
}

async function setDecisionReviewState(tx: Tx, decisionId: string, reviewState: ReviewState) {
  await tx.decision.update({ where: { id: decisionId }, data: { reviewState } });
}

const contestOutcomes = {
  upheld: "the automated decision stands",
  overturned: "the decision was changed in the customer's favour",
} as const;

/** The contest (a privacy request) this review answers, when it can still be completed: refuses otherwise. */
async function requireContestAnswerable(tx: Tx, review: ReviewRow) {
  if (!review.privacyRequestId) return null;
  const request = await tx.privacyRequest.findUnique({ where: { id: review.privacyRequestId }, select: { id: true, reference: true, state: true } });
  // A contest the DPO already refused (or closed) is not reopened by its review.
  if (!request || request.state === "completed" || request.state === "refused") return null;
  try {
    await requirePrivacyRequestCompletable(tx, request.id);
  } catch (error) {
    if (error instanceof PrivacyRequestRefusedError) {
      throw new ReviewRefusedError(`The customer's contest ${request.reference} cannot be answered yet: ${error.message} (the DPO does this on the request page). Nothing was changed.`);
    }
    throw error;
  }
  return request;
}

/**
 * A contest's review closed: its privacy request is answered and completes in the same transaction.
 * The review's own event records the completion (one action, one event); returns what it records.
 */
async function completeContest(tx: Tx, actor: Actor, review: ReviewRow, verdict: "upheld" | "overturned") {
  const request = await requireContestAnswerable(tx, review);
  if (!request) return {};
  await completePrivacyRequest(tx, actor, request.id, {
    note: `Human review closed: ${contestOutcomes[verdict]}. Send the customer the review-outcome notice (linked on this request and on the decision page).`,
    isRecordedByCaller: true,
    answeredByReviewId: review.id,
  });
  return { contest: { privacyRequestId: request.id, reference: request.reference, before: { state: request.state }, after: { state: "completed" } } };
}

async function audit(
  tx: Tx,
  actor: Actor,
  review: ReviewRow,
  action: AuditAction,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  justification?: string | null,
) {
  await appendAuditEvent(tx, actor.audit, {
    action,
    subjectType: "Review",
    subjectId: review.id,
    regionCode: review.regionCode,
    // A reviewer's words are about the decision's customer: sealed under their key, never in clear.
    justification: justification ?? null,
    freeTextSubject: { customerId: review.decision.customerId },
    changes: { before: { ...before, version: review.version }, after: { ...after, version: review.version + 1 }, decisionId: review.decisionId },
  });
}

/** Claim-to-work: the first claimant holds the review; everyone else is told who holds it. */
export async function claimReview(actor: Actor, input: z.infer<typeof ClaimReviewSchema>) {
  return db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "claim");
    if (review.status === "claimed" && review.claimedById === actor.user.id) return { alreadyHeld: true };
    if (review.status === "claimed" && review.claimedBy) {
      throw new ReviewRefusedError(`${review.claimedBy.displayName} is working on this review (claimed ${timeOf(review.claimedAt)}).`, "conflict");
    }
    if (review.status !== "open") throw new ReviewRefusedError(`This review is ${review.status.replace(/_/g, " ")}; only an open review can be claimed.`);
    // A lead's assignment reserves the item for the assignee; another lead may still take it.
    if (review.assigneeId && review.assigneeId !== actor.user.id && !actor.ability.can("assign", subjectOf("Review", asSubject(review)) as never)) {
      throw new ReviewRefusedError(`This review is assigned to ${review.assignee?.displayName ?? "another reviewer"}; ask a lead to reassign it.`, "conflict");
    }
    const now = new Date();
    // claimedById: null in the condition as well: two claims racing on one version cannot both win.
    const updated = await tx.review.updateMany({
      where: { id: review.id, version: input.version, status: "open", claimedById: null },
      data: { status: "claimed", claimedById: actor.user.id, claimedAt: now, version: { increment: 1 } },
    });
    if (updated.count === 0) throw await staleMessage(tx, actor, review.id, input.version);
    await setDecisionReviewState(tx, review.decisionId, "in_review");
    await audit(tx, actor, review, "review.claimed", { status: review.status, claimedById: null }, { status: "claimed", claimedById: actor.user.id });
    return { alreadyHeld: false };
  });
}

/** Gives a claimed review back to the queue: its holder, or a lead with `assign`. */
export async function releaseReview(actor: Actor, input: z.infer<typeof ClaimReviewSchema>) {
  await db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "claim");
    if (review.status !== "claimed") throw new ReviewRefusedError("Only a claimed review can be released.");
    const isHolder = review.claimedById === actor.user.id;
    if (!isHolder && !actor.ability.can("assign", subjectOf("Review", asSubject(review)) as never)) {
      throw forbidden("assign", "Review", `held by ${review.claimedBy?.displayName ?? "someone else"}`);
    }
    await updateAtVersion(tx, actor, review, input.version, ["claimed"], { status: "open", claimedById: null, claimedAt: null });
    await setDecisionReviewState(tx, review.decisionId, "queued");
    await audit(tx, actor, review, "review.released", { status: "claimed", claimedById: review.claimedById }, { status: "open", claimedById: null });
  });
}

/** Four-eyes (DESIGN.md §5): overturning a decline or a fraud hold needs a second approver. */
export function needsSecondApprover(outcome: string, verdict: string) {
  return verdict === "overturned" && (outcome === "declined" || outcome === "fraud_hold");
}

/** Upholds or overturns: only the holder of the claim, with `decide` on this review. */
export async function decideReview(actor: Actor, input: DecideReviewInput) {
  return db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "decide");
    if (review.status !== "claimed" || review.claimedById !== actor.user.id) {
      if (review.status === "claimed" && review.claimedBy) {
        throw new ReviewRefusedError(`${review.claimedBy.displayName} holds this review; only the reviewer who claimed it can decide it.`, "conflict");
      }
      if (review.status === "open") throw new ReviewRefusedError("Claim the review before deciding it.");
      throw new ReviewRefusedError(`This review is ${review.status.replace(/_/g, " ")}; it cannot be decided again.`);
    }
    const now = new Date();
    const needsApproval = needsSecondApprover(review.decision.outcome, input.verdict);
    const status = needsApproval ? "awaiting_approval" : "closed";
    await updateAtVersion(tx, actor, review, input.version, ["claimed"], {
      status,
      reviewerId: actor.user.id,
      verdict: input.verdict,
      verdictReason: input.reason,
      justification: await sealReviewText(tx, review, input.justification),
      decidedAt: now,
      approvalRejectedReason: null,
      closedAt: needsApproval ? null : now,
    });
    const reviewState: ReviewState = needsApproval ? "awaiting_approval" : input.verdict;
    await setDecisionReviewState(tx, review.decisionId, reviewState);
    // An overturn waiting for approval completes the contest later; it is refused now if it could not.
    if (needsApproval) await requireContestAnswerable(tx, review);
    const completion = needsApproval ? {} : await completeContest(tx, actor, review, input.verdict);
    await audit(
      tx,
      actor,
      review,
      needsApproval ? "review.overturn_proposed" : "review.decided",
      { status: "claimed", verdict: null },
      { status, verdict: input.verdict, verdictReason: input.reason, reviewerId: actor.user.id, decisionReviewState: reviewState, ...completion },
      input.justification,
    );
    return { status, verdict: input.verdict };
  });
}

/** The second pair of eyes: someone with `approve` who is not the reviewer closes the overturn. */
export async function approveReview(actor: Actor, input: z.infer<typeof ApproveReviewSchema>) {
  await db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "approve");
    if (review.status !== "awaiting_approval") throw new ReviewRefusedError(`This review is ${review.status.replace(/_/g, " ")}; there is nothing to approve.`);
    if (review.reviewerId === actor.user.id) {
      throw new ReviewRefusedError("Four-eyes: you proposed this overturn, so a second person with the approve permission must approve it.", "four_eyes");
    }
    const now = new Date();
    await updateAtVersion(tx, actor, review, input.version, ["awaiting_approval"], { status: "closed", approverId: actor.user.id, approvedAt: now, closedAt: now });
    await setDecisionReviewState(tx, review.decisionId, "overturned");
    const completion = await completeContest(tx, actor, review, "overturned");
    await audit(
      tx,
      actor,
      review,
      "review.overturn_approved",
      { status: "awaiting_approval" },
      { status: "closed", verdict: "overturned", approverId: actor.user.id, decisionReviewState: "overturned", ...completion },
      input.justification || null,
    );
  });
}

/** The approver disagrees: the review goes back to its reviewer (claimed) with the reason. */
export async function rejectReviewApproval(actor: Actor, input: z.infer<typeof RejectReviewApprovalSchema>) {
  await db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "approve");
    if (review.status !== "awaiting_approval") throw new ReviewRefusedError(`This review is ${review.status.replace(/_/g, " ")}; there is nothing to send back.`);
    if (review.reviewerId === actor.user.id) {
      throw new ReviewRefusedError("Four-eyes: you proposed this overturn; withdrawing it is for a second approver to decide.", "four_eyes");
    }
    await updateAtVersion(tx, actor, review, input.version, ["awaiting_approval"], {
      status: "claimed",
      claimedById: review.reviewerId,
      claimedAt: new Date(),
      verdict: null,
      verdictReason: null,
      decidedAt: null,
      approvalRejectedReason: await sealReviewText(tx, review, input.reason),
    });
    await setDecisionReviewState(tx, review.decisionId, "in_review");
    await audit(tx, actor, review, "review.overturn_rejected", { status: "awaiting_approval", verdict: review.verdict }, { status: "claimed", verdict: null, claimedById: review.reviewerId }, input.reason);
  });
}

/** Flags a review for a lead's attention (it then shows in the escalation view and jumps ahead). */
export async function escalateReview(actor: Actor, input: z.infer<typeof EscalateReviewSchema>) {
  await db.$transaction(async (tx) => {
    const review = await loadReview(tx, actor, input.reviewId, "claim");
    if (review.status === "closed") throw new ReviewRefusedError("This review is closed; it cannot be escalated.");
    if (review.escalatedAt) throw new ReviewRefusedError(`This review was already escalated (${timeOf(review.escalatedAt)}).`);
    const priority = Math.min(review.priority, ESCALATED_PRIORITY);
    await updateAtVersion(tx, actor, review, input.version, ["open", "claimed", "awaiting_approval"], { escalatedAt: new Date(), priority });
    await audit(tx, actor, review, "review.escalated", { escalatedAt: null, priority: review.priority }, { escalated: true, priority }, input.reason);
  });
}

/** Escalated items sort right after customers' contests (priority 10). */
export const ESCALATED_PRIORITY = 15;

/**
 * Bulk assignment by a lead (`assign`): every selected review must be in the lead's scope and one the
 * assignee may work (their role and regions); otherwise nothing is assigned and the first misfit is
 * named. A review claimed by someone other than the assignee is refused too, naming the holder: a
 * bulk selection never ends a claim (the holder's work in progress); it is released on its own first.
 */
export async function assignReviews(actor: Actor, input: z.infer<typeof AssignReviewsSchema>) {
  requirePermission(actor, "assign", "Review");
  return db.$transaction(async (tx) => {
    const assignee = await tx.staffUser.findUnique({
      where: { id: input.assigneeId },
      select: { id: true, displayName: true, role: true, isActive: true, regions: { select: { regionCode: true } } },
    });
    if (!assignee || !assignee.isActive) throw new ReviewRefusedError("The chosen reviewer is not an active staff member.");
    const assigneeAbility = defineAbilityFor({ id: assignee.id, role: assignee.role, regions: assignee.regions.map((region) => region.regionCode) });
    const ids = [...new Set(input.reviewIds)];
    const reviews = await tx.review.findMany({ where: { id: { in: ids } }, select: reviewSelect, orderBy: { id: "asc" } });
    if (reviews.length !== ids.length) throw notFound("One of the selected reviews");
    for (const review of reviews) {
      requireRecordPermission(actor, "assign", "Review", asSubject(review));
      if (review.status === "closed" || review.status === "awaiting_approval") {
        throw new ReviewRefusedError(`Review of decision ${review.decisionId.slice(0, 8)} is ${review.status.replace(/_/g, " ")}; only open or claimed reviews can be assigned.`);
      }
      // Someone else's claim is never ended from a (possibly stale) bulk selection: the lead releases it
      // first, on purpose, or asks the holder to.
      if (review.status === "claimed" && review.claimedById && review.claimedById !== assignee.id) {
        const isOwn = review.claimedById === actor.user.id;
        const holder = isOwn ? "you" : (review.claimedBy?.displayName ?? "another reviewer");
        throw new ReviewRefusedError(
          `The ${review.trigger.replace(/_/g, " ")} review of decision ${review.decisionId.slice(0, 8)} is claimed by ${holder} (since ${timeOf(review.claimedAt)}); ${isOwn ? "release it first" : "release it first or ask them to"}. Nothing was assigned.`,
          "conflict",
        );
      }
      const subject = subjectOf("Review", asSubject(review)) as never;
      if (!assigneeAbility.can("claim", subject) || !assigneeAbility.can("decide", subject)) {
        throw new ReviewRefusedError(`${assignee.displayName} cannot work the ${review.trigger.replace(/_/g, " ")} review in ${review.regionCode} (role or regions); nothing was assigned.`);
      }
    }
    const now = new Date();
    for (const review of reviews) {
      const keepsClaim = review.status === "claimed" && review.claimedById === assignee.id;
      const data = keepsClaim
        ? { assigneeId: assignee.id, assignedAt: now }
        : { assigneeId: assignee.id, assignedAt: now, status: "open" as const, claimedById: null, claimedAt: null };
      await updateAtVersion(tx, actor, review, review.version, ["open", "claimed"], data);
      if (!keepsClaim && review.status === "claimed") await setDecisionReviewState(tx, review.decisionId, "queued");
    }
    for (const review of reviews) {
      await audit(
        tx,
        actor,
        review,
        "review.assigned",
        { assigneeId: review.assigneeId, claimedById: review.claimedById, status: review.status },
        { assigneeId: assignee.id, claimedById: review.status === "claimed" && review.claimedById === assignee.id ? assignee.id : null },
      );
    }
    return { count: reviews.length, assignee: assignee.displayName };
  });
}

/** Staff a lead may assign reviews to: active people whose role can claim and decide reviews in their regions. */
export async function listAssignableReviewers(actor: Actor) {
  if (!actor.ability.can("assign", "Review")) return [];
  const staff = await db.staffUser.findMany({
    where: { isActive: true, role: { in: ["compliance_officer", "regional_ops_manager", "fraud_analyst"] } },
    select: { id: true, displayName: true, role: true, regions: { select: { regionCode: true } } },
    orderBy: { displayName: "asc" },
  });
  return staff
    .map((member) => ({ ...member, regions: member.regions.map((region) => region.regionCode).sort() }))
    .filter((member) => member.regions.some((region) => actor.user.regions.includes(region)))
    .map((member) => ({ id: member.id, label: `${member.displayName} · ${member.role.replace(/_/g, " ")} · ${member.regions.join(", ")}` }));
}
