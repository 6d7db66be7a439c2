import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { requireActor } from "~/modules/access/actor.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { isEncryptedField } from "~/modules/customers/field-crypto";
import { listReviewQueue } from "~/modules/decisions/review-queue.server";
import {
  ReviewRefusedError,
  approveReview,
  assignReviews,
  claimReview,
  decideReview,
  escalateReview,
  rejectReviewApproval,
  releaseReview,
} from "~/modules/decisions/review.server";
import { ReviewQueueQuerySchema } from "~/modules/decisions/schema";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { personas } from "../fixtures/staff";
import { actorFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { scratchDecisions } from "./helpers/scratch-decisions";
import { changesOf, eventsSince, ledgerSize, sealedOf } from "./helpers/ledger";

// The review workflow (issue 4.5) against real PostgreSQL: claim-to-work, optimistic concurrency,
// four-eyes on overturning declines and fraud holds, bulk assignment by leads, region isolation, and
// one audit event per change. Each test makes its own decision and review so the fixtures stay intact.

const scratch = scratchDecisions();
afterAll(() => scratch.removeAll());

type Outcome = "approved" | "declined" | "referred" | "fraud_hold";
type Trigger = "referral" | "fraud_hold" | "grey_band" | "contest" | "sample";

async function makeReview(region: "SE" | "DE" | "UK", outcome: Outcome, trigger: Trigger = outcome === "fraud_hold" ? "fraud_hold" : "referral") {
  const decision = scratch.track(await db.decision.create({
    data: {
      externalId: `RW-${region}-${crypto.randomBytes(5).toString("hex")}`,
      customerId: ids.customers[region],
      kind: outcome === "fraud_hold" ? "fraud" : "credit",
      regionCode: region,
      modelName: "credit-gbm",
      modelVersion: "2026.10",
      score: 0.4,
      outcome,
      amount: "500.00",
      currency: region === "SE" ? "SEK" : region === "DE" ? "EUR" : "GBP",
      features: { age: 30, bureauScore: 580 },
      decidedAt: new Date(Date.now() - 3_600_000),
      reviewState: "queued",
    },
  }));
  const review = await db.review.create({
    data: { decisionId: decision.id, regionCode: region, trigger, priority: 50, dueAt: new Date(Date.now() + 86_400_000) },
  });
  return { decision, review };
}

async function signedIn(email: string) {
  return requireActor(await requestWithSession(await signInAs(email)));
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ReviewRefusedError) return error;
    throw error;
  }
  throw new Error("expected the review step to be refused");
}

let compliance: Actor;
let compliance2: Actor;
let opsSe: Actor;
let fraud: Actor;
let auditor: Actor;

beforeAll(async () => {
  compliance = await actorFor("compliance");
  compliance2 = await signedIn("compliance2@attest.test");
  opsSe = await actorFor("opsSe");
  fraud = await actorFor("fraud");
  auditor = await actorFor("auditor");
});

describe("claim-to-work", () => {
  it("lets exactly one of two simultaneous claims win; the other is told who holds the review", async () => {
    const { decision, review } = await makeReview("SE", "declined");
    const results = await Promise.allSettled([claimReview(compliance, { reviewId: review.id, version: 1 }), claimReview(compliance2, { reviewId: review.id, version: 1 })]);
    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(ReviewRefusedError);
    const row = await db.review.findUniqueOrThrow({ where: { id: review.id }, include: { claimedBy: true } });
    expect(row).toMatchObject({ status: "claimed", version: 2 });
    expect((lost[0]!.reason as ReviewRefusedError).message).toContain(`${row.claimedBy!.displayName} is working on this review`);
    // The loser's view of the decision shows the holder and offers no way to decide.
    const loser = row.claimedById === compliance.user.id ? compliance2 : compliance;
    const page = await getDecision(loser, decision.id);
    const shown = page.reviews!.find((item) => item.id === review.id)!;
    expect(shown.claimedBy?.displayName).toBe(row.claimedBy!.displayName);
    expect(shown.canDecide).toBe(false);
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("in_review");
  });

  it("refuses a claim on a review someone already holds, naming them", async () => {
    const { review } = await makeReview("SE", "referred");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    const error = await refusal(claimReview(opsSe, { reviewId: review.id, version: 2 }));
    expect(error.kind).toBe("conflict");
    expect(error.message).toContain(personas.compliance.displayName);
  });

  it("refuses a stale version with a clear message and writes nothing", async () => {
    const { decision, review } = await makeReview("SE", "declined");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    // A lead escalates while the reviewer has the page open at version 2.
    await escalateReview(compliance2, { reviewId: review.id, version: 2, reason: "Customer called twice about this one" });
    const before = await ledgerSize();
    const error = await refusal(
      decideReview(compliance, { reviewId: review.id, version: 2, verdict: "upheld", reason: "decline_supported", justification: "Bureau file confirms the decline." }),
    );
    expect(error.kind).toBe("stale");
    expect(error.message).toMatch(/changed by someone else since you opened it \(you had version 2, it is now version 3/);
    expect(await ledgerSize()).toBe(before);
    const row = await db.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(row).toMatchObject({ status: "claimed", verdict: null, version: 3 });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("in_review");
  });

  it("lets the holder release the review back to the queue", async () => {
    const { decision, review } = await makeReview("SE", "referred");
    await claimReview(opsSe, { reviewId: review.id, version: 1 });
    await releaseReview(opsSe, { reviewId: review.id, version: 2 });
    expect(await db.review.findUniqueOrThrow({ where: { id: review.id } })).toMatchObject({ status: "open", claimedById: null, version: 3 });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("queued");
  });

  it("only the holder decides", async () => {
    const { review } = await makeReview("SE", "referred");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    const error = await refusal(decideReview(compliance2, { reviewId: review.id, version: 2, verdict: "upheld", reason: "decline_supported", justification: "Looks right to me." }));
    expect(error.message).toContain(`${personas.compliance.displayName} holds this review`);
  });
});

describe("four-eyes on overturning a decline or a fraud hold", () => {
  it("refuses approval by the reviewer, accepts a second approver, and records both", async () => {
    const { decision, review } = await makeReview("SE", "declined");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    const before = await ledgerSize();
    const decided = await decideReview(compliance, {
      reviewId: review.id,
      version: 2,
      verdict: "overturned",
      reason: "income_verified_manually",
      justification: "Payslips cover the installments comfortably.",
    });
    expect(decided).toEqual({ status: "awaiting_approval", verdict: "overturned" });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("awaiting_approval");

    const self = await refusal(approveReview(compliance, { reviewId: review.id, version: 3 }));
    expect(self.kind).toBe("four_eyes");
    expect(self.message).toContain("a second person with the approve permission must approve it");
    expect((await db.review.findUniqueOrThrow({ where: { id: review.id } })).status).toBe("awaiting_approval");

    await approveReview(compliance2, { reviewId: review.id, version: 3, justification: "Checked the payslips." });
    const closed = await db.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(closed).toMatchObject({ status: "closed", verdict: "overturned", reviewerId: compliance.user.id, approverId: compliance2.user.id, version: 4 });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("overturned");

    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.actorId, event.subjectId])).toEqual([
      ["review.overturn_proposed", compliance.user.id, review.id],
      ["review.overturn_approved", compliance2.user.id, review.id],
    ]);
    // The reviewer's words may describe the customer: sealed under their key, never in clear.
    expect(events[0]!.justification).toBeNull();
    expect(changesOf(events[0]!).sealedFields).toEqual(["justification"]);
    expect(JSON.stringify(events[0]!.changes)).not.toContain("Payslips");
    expect(await sealedOf(events[0]!)).toEqual({ justification: "Payslips cover the installments comfortably." });
    expect(await sealedOf(events[1]!)).toEqual({ justification: "Checked the payslips." });
    expect(changesOf(events[1]!).after).toMatchObject({ status: "closed", approverId: compliance2.user.id });
  });

  it("requires the approve permission: a regional ops manager may decide but not approve", async () => {
    const { review } = await makeReview("SE", "declined");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    await decideReview(compliance, { reviewId: review.id, version: 2, verdict: "overturned", reason: "model_limitation", justification: "Thin file after moving here; income verified." });
    const response = await thrownResponse(() => approveReview(opsSe, { reviewId: review.id, version: 3 }));
    expect(response.status).toBe(403);
    expect(((await response.json()) as { missingPermission: string }).missingPermission).toBe("approve Review");
    expect((await db.review.findUniqueOrThrow({ where: { id: review.id } })).status).toBe("awaiting_approval");
  });

  it("closes an overturned referral at once (no second approver needed)", async () => {
    const { decision, review } = await makeReview("SE", "referred");
    await claimReview(opsSe, { reviewId: review.id, version: 1 });
    expect(
      await decideReview(opsSe, { reviewId: review.id, version: 2, verdict: "overturned", reason: "income_verified_manually", justification: "Open banking shows salary; approve." }),
    ).toEqual({ status: "closed", verdict: "overturned" });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("overturned");
  });

  it("sends a rejected overturn back to its reviewer with the reason", async () => {
    const { review } = await makeReview("DE", "fraud_hold");
    await claimReview(fraud, { reviewId: review.id, version: 1 });
    await decideReview(fraud, { reviewId: review.id, version: 2, verdict: "overturned", reason: "customer_confirmed_purchase", justification: "Customer confirmed the order by phone." });
    // Fraud analysts decide fraud holds but cannot approve their release.
    expect((await thrownResponse(() => approveReview(fraud, { reviewId: review.id, version: 3 }))).status).toBe(403);
    await rejectReviewApproval(compliance, { reviewId: review.id, version: 3, reason: "Phone call is not enough; ask for a BankID-signed confirmation." });
    const stored = await db.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(stored).toMatchObject({ status: "claimed", claimedById: fraud.user.id, verdict: null });
    // The texts are stored under the customer's data key (ADR 020), never in clear.
    expect(isEncryptedField(stored.approvalRejectedReason)).toBe(true);
    expect(Buffer.from(stored.approvalRejectedReason!).toString("latin1")).not.toContain("BankID");
    // The reviewer reads them decrypted on the decision page; an auditor, who neither works reviews nor
    // reads personal data, gets neither text nor ciphertext, only that they are withheld.
    const forReviewer = (await getDecision(fraud, stored.decisionId)).reviews!.find((item) => item.id === review.id)!;
    expect(forReviewer).toMatchObject({ approvalRejectedReason: "Phone call is not enough; ask for a BankID-signed confirmation.", isReviewTextWithheld: false });
    const forAuditor = (await getDecision(auditor, stored.decisionId)).reviews!.find((item) => item.id === review.id)!;
    expect(forAuditor).toMatchObject({ justification: null, approvalRejectedReason: null, isReviewTextWithheld: true });
  });
});

describe("region and role isolation", () => {
  it("refuses review steps outside the actor's regions or role, naming the permission", async () => {
    const { review: deReview } = await makeReview("DE", "referred");
    const outside = await thrownResponse(() => claimReview(opsSe, { reviewId: deReview.id, version: 1 }));
    // Outside the actor's regions: the answer of a missing review, naming no region (issue 13).
    expect(outside.status).toBe(404);
    expect(await outside.json()).toEqual({ kind: "not_found", message: "That review was not found." });

    const { review: seReferral } = await makeReview("SE", "referred");
    const notFraud = await thrownResponse(() => claimReview(fraud, { reviewId: seReferral.id, version: 1 }));
    expect(((await notFraud.json()) as { missingPermission: string }).missingPermission).toBe("claim Review");

    const readOnly = await thrownResponse(() => claimReview(auditor, { reviewId: seReferral.id, version: 1 }));
    expect(readOnly.status).toBe(403);
    expect(await db.review.findUniqueOrThrow({ where: { id: seReferral.id } })).toMatchObject({ status: "open", version: 1 });
  });

  it("keeps other regions' reviews out of the queue", async () => {
    const { review } = await makeReview("DE", "referred");
    const queue = await listReviewQueue(opsSe, ReviewQueueQuerySchema.parse({}));
    expect(queue.reviews.every((item) => item.regionCode === "SE")).toBe(true);
    expect(queue.reviews.some((item) => item.id === review.id)).toBe(false);
  });
});

describe("bulk assignment by a lead", () => {
  it("assigns all selected reviews or none, and records one event per review", async () => {
    const first = await makeReview("SE", "referred");
    const second = await makeReview("SE", "declined");
    await claimReview(compliance2, { reviewId: second.review.id, version: 1 });
    const german = await makeReview("DE", "referred");

    const refused = await refusal(assignReviews(compliance, { reviewIds: [first.review.id, german.review.id], assigneeId: opsSe.user.id }));
    expect(refused.message).toContain(`${personas.opsSe.displayName} cannot work the referral review in DE`);
    expect((await db.review.findUniqueOrThrow({ where: { id: first.review.id } })).assigneeId).toBeNull();

    // Someone else's claim is never ended by a bulk assignment: refused, naming the holder, nothing written.
    const claimedBefore = await ledgerSize();
    const claimed = await refusal(assignReviews(compliance, { reviewIds: [first.review.id, second.review.id], assigneeId: opsSe.user.id }));
    expect(claimed.kind).toBe("conflict");
    expect(claimed.message).toContain(`claimed by ${compliance2.user.displayName}`);
    expect(claimed.message).toContain("Nothing was assigned");
    expect(await ledgerSize()).toBe(claimedBefore);
    expect(await db.review.findUniqueOrThrow({ where: { id: first.review.id } })).toMatchObject({ assigneeId: null, version: 1 });
    expect(await db.review.findUniqueOrThrow({ where: { id: second.review.id } })).toMatchObject({ assigneeId: null, status: "claimed", claimedById: compliance2.user.id, version: 2 });
    // Assigned to its own holder, the claim stays.
    const ownHolder = await assignReviews(compliance, { reviewIds: [second.review.id], assigneeId: compliance2.user.id });
    expect(ownHolder).toEqual({ count: 1, assignee: compliance2.user.displayName });
    expect(await db.review.findUniqueOrThrow({ where: { id: second.review.id } })).toMatchObject({ assigneeId: compliance2.user.id, status: "claimed", claimedById: compliance2.user.id });
    // Released on purpose first, it can then be moved.
    await releaseReview(compliance, { reviewId: second.review.id, version: 3 });

    const before = await ledgerSize();
    expect(await assignReviews(compliance, { reviewIds: [first.review.id, second.review.id], assigneeId: opsSe.user.id })).toEqual({
      count: 2,
      assignee: personas.opsSe.displayName,
    });
    expect(await db.review.findUniqueOrThrow({ where: { id: second.review.id } })).toMatchObject({ assigneeId: opsSe.user.id, status: "open", claimedById: null });
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.subjectId]).sort()).toEqual(
      [
        ["review.assigned", first.review.id],
        ["review.assigned", second.review.id],
      ].sort(),
    );
    // Assigned items are reserved for the assignee; another reviewer without `assign` cannot take them.
    const { review: reserved } = await makeReview("SE", "referred");
    await assignReviews(compliance, { reviewIds: [reserved.id], assigneeId: compliance2.user.id });
    expect((await refusal(claimReview(opsSe, { reviewId: reserved.id, version: 2 }))).message).toContain(`assigned to ${compliance2.user.displayName}`);
    await claimReview(compliance2, { reviewId: reserved.id, version: 2 });
  });

  it("is for leads only", async () => {
    const { review } = await makeReview("SE", "referred");
    const response = await thrownResponse(() => assignReviews(opsSe, { reviewIds: [review.id], assigneeId: opsSe.user.id }));
    expect(response.status).toBe(403);
    expect(((await response.json()) as { missingPermission: string }).missingPermission).toBe("assign Review");
  });
});

describe("the ledger", () => {
  it("records each workflow step as exactly one event, in the same transaction", async () => {
    const { review } = await makeReview("UK", "declined");
    const steps: [string, () => Promise<unknown>][] = [
      ["review.claimed", () => claimReview(compliance, { reviewId: review.id, version: 1 })],
      ["review.released", () => releaseReview(compliance, { reviewId: review.id, version: 2 })],
      ["review.escalated", () => escalateReview(compliance, { reviewId: review.id, version: 3, reason: "Overdue soon and the customer complained" })],
      ["review.claimed", () => claimReview(compliance2, { reviewId: review.id, version: 4 })],
      ["review.overturn_proposed", () => decideReview(compliance2, { reviewId: review.id, version: 5, verdict: "overturned", reason: "history_explained", justification: "The late payment was a disputed bill, since settled." })],
      ["review.overturn_rejected", () => rejectReviewApproval(compliance, { reviewId: review.id, version: 6, reason: "Ask for the settlement letter first." })],
      ["review.decided", () => decideReview(compliance2, { reviewId: review.id, version: 7, verdict: "upheld", reason: "adverse_history", justification: "No settlement letter; decline stands." })],
    ];
    for (const [action, step] of steps) {
      const before = await ledgerSize();
      await step();
      const events = await eventsSince(before);
      expect(events.map((event) => event.action), action).toEqual([action]);
      expect(events[0]).toMatchObject({ subjectType: "Review", subjectId: review.id, regionCode: "UK" });
    }
    const row = await db.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(row).toMatchObject({ status: "closed", verdict: "upheld", version: 8 });
    expect(row.escalatedAt).not.toBeNull();
  });

  it("shows the decision's review events on its page, each linkable to its proof", async () => {
    const { decision, review } = await makeReview("SE", "referred");
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    const page = await getDecision(compliance, decision.id);
    expect(page.auditEvents!.map((event) => [event.action, event.subjectType])).toContainEqual(["review.claimed", "Review"]);
    expect(page.auditEvents!.every((event) => /^\d+$/.test(event.seq))).toBe(true);
  });
});

describe("oversight metrics", () => {
  it("count each reviewer's verdicts and overturns within the viewer's regions only", async () => {
    const { getOversightMetrics } = await import("~/modules/decisions/oversight.server");
    const { OversightQuerySchema } = await import("~/modules/decisions/schema");
    const se = await makeReview("SE", "referred");
    await claimReview(opsSe, { reviewId: se.review.id, version: 1 });
    await decideReview(opsSe, { reviewId: se.review.id, version: 2, verdict: "overturned", reason: "income_verified_manually", justification: "Salary confirmed by open banking." });
    const uk = await makeReview("UK", "referred");
    await claimReview(compliance, { reviewId: uk.review.id, version: 1 });
    await decideReview(compliance, { reviewId: uk.review.id, version: 2, verdict: "upheld", reason: "affordability_not_shown", justification: "No income evidence within 48 hours." });

    const mine = await getOversightMetrics(opsSe, OversightQuerySchema.parse({}));
    expect(mine.byRegion.map((row) => row.key)).toEqual(["SE"]);
    const sara = mine.byReviewer.find((row) => row.key === opsSe.user.id)!;
    expect(sara.overturned).toBeGreaterThanOrEqual(1);
    expect(sara.overrideRate).toBeCloseTo(sara.overturned / sara.reviews);

    const everyone = await getOversightMetrics(compliance, OversightQuerySchema.parse({}));
    expect(everyone.byRegion.map((row) => row.key)).toEqual(expect.arrayContaining(["SE", "UK"]));
    expect(everyone.overall.reviews).toBe(everyone.byRegion.reduce((sum, row) => sum + row.reviews, 0));
    expect(everyone.byModel.find((row) => row.key === "credit-gbm@2026.10")!.reviews).toBeGreaterThanOrEqual(2);
    expect((await thrownResponse(() => getOversightMetrics(opsSe, OversightQuerySchema.parse({ region: "UK" })))).status).toBe(400);
  });
});
