import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { contestDecisionAsStaff } from "~/modules/decisions/contest.server";
import { approveReview, claimReview, decideReview, ReviewRefusedError } from "~/modules/decisions/review.server";
import { actOnPrivacyRequest, completePrivacyRequest, getPrivacyRequest, PrivacyRequestRefusedError } from "~/modules/privacy/privacy-requests.server";
import { storedNoteBodies } from "./helpers/stored-text";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { actorFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize } from "./helpers/ledger";
import { scratchDecisions } from "./helpers/scratch-decisions";

// Issue 4/5 seam: the human review a contest opened answers it. Closing the review (upheld, or an
// overturn once approved) completes the contest's privacy request in the review's transaction, on the
// reviewer's authority over the review (compliance and ops managers hold no `complete` on requests),
// recorded by the review's own event; a contest that could not be completed refuses the verdict.

const scratch = scratchDecisions();
afterAll(() => scratch.removeAll());

let compliance: Actor;
let compliance2: Actor;
let opsSe: Actor;
let dpo: Actor;
let auditor: Actor;

beforeAll(async () => {
  compliance = await actorFor("compliance");
  compliance2 = await requireActor(await requestWithSession(await signInAs("compliance2@attest.test")));
  opsSe = await actorFor("opsSe");
  dpo = await actorFor("dpo");
  auditor = await actorFor("auditor");
});

async function makeDecision(region: "SE" | "UK", outcome: "declined" | "approved") {
  return scratch.track(
    await db.decision.create({
      data: {
        externalId: `CC-${region}-${crypto.randomBytes(5).toString("hex")}`,
        customerId: ids.customers[region],
        kind: "credit",
        regionCode: region,
        modelName: "credit-gbm",
        modelVersion: "2026.10",
        score: 0.3,
        outcome,
        amount: "800.00",
        currency: region === "SE" ? "SEK" : "GBP",
        features: { age: 37, bureauScore: 560 },
        decidedAt: new Date("2026-11-10T09:00:00Z"),
        reasons: { create: outcome === "declined" ? [{ position: 1, code: "CH01", contribution: 0.3 }] : [] },
      },
    }),
  );
}

async function requestVersion(requestId: string) {
  return (await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId }, select: { version: true } })).version;
}

/** A contest taken by phone, its requester's identity then verified by the DPO. */
async function verifiedContest(region: "SE" | "UK", outcome: "declined" | "approved") {
  const decision = await makeDecision(region, outcome);
  const contest = await contestDecisionAsStaff(compliance, decision.id, { details: "The customer says the bureau entry is not theirs.", channel: "phone" });
  await actOnPrivacyRequest(dpo, contest.requestId, {
    intent: "verifyIdentity",
    version: await requestVersion(contest.requestId),
    method: "knowledge_check",
    checks: ["name_matches", "date_of_birth_matches"],
    result: "verified",
  });
  return { decision, ...contest };
}

const uphold = { verdict: "upheld" as const, reason: "decline_supported" as const, justification: "Bureau file confirms the delinquency is the customer's." };
const overturn = { verdict: "overturned" as const, reason: "contest_upheld_for_customer" as const, justification: "The bureau entry belongs to another person with the same name." };

describe("closing a contest's review completes the contest", () => {
  it("an upheld verdict by an ops manager (no privacy permission) completes the request in the review's one event", async () => {
    const { requestId, reviewId, reference } = await verifiedContest("SE", "declined");
    expect(opsSe.ability.can("complete", "PrivacyRequest")).toBe(false);
    await claimReview(opsSe, { reviewId, version: 1 });
    const before = await ledgerSize();
    await decideReview(opsSe, { reviewId, version: 2, ...uphold });

    const request = await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId }, include: { notes: true } });
    expect(request).toMatchObject({ state: "completed", completedById: opsSe.user.id });
    expect(request.completedAt).not.toBeNull();
    expect(await storedNoteBodies(requestId)).toEqual([expect.stringContaining("the automated decision stands")]);
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.subjectType, event.subjectId])).toEqual([["review.decided", "Review", reviewId]]);
    expect(changesOf(events[0]!).after).toMatchObject({ verdict: "upheld", contest: { privacyRequestId: requestId, reference, before: { state: "in_progress" }, after: { state: "completed" } } });

    // The request page says the outcome notice can now be generated, and links to it.
    const view = await getPrivacyRequest(dpo, requestId);
    expect(view.contestReview).toMatchObject({ id: reviewId, status: "closed", verdict: "upheld" });
    expect(view.decision).toMatchObject({ canGenerateNotice: true });
    expect((await getPrivacyRequest(auditor, requestId)).decision).toMatchObject({ canGenerateNotice: false });
  });

  it("an overturn of a decline completes the request only when the second person approves it", async () => {
    const { requestId, reviewId } = await verifiedContest("SE", "declined");
    await claimReview(compliance, { reviewId, version: 1 });
    await decideReview(compliance, { reviewId, version: 2, ...overturn });
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).state).toBe("in_progress");

    const before = await ledgerSize();
    await approveReview(compliance2, { reviewId, version: 3 });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "completed", completedById: compliance2.user.id });
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["review.overturn_approved"]);
    expect(changesOf(events[0]!).after).toMatchObject({ contest: { privacyRequestId: requestId, after: { state: "completed" } } });
  });

  it("refuses the verdict while the contest cannot be completed (identity not verified), writing nothing", async () => {
    const decision = await makeDecision("SE", "approved");
    const { requestId, reviewId, reference } = await contestDecisionAsStaff(compliance, decision.id, { details: "Please have a person look at the limit.", channel: "post" });
    await claimReview(compliance, { reviewId, version: 1 });
    const before = await ledgerSize();
    const refusal = decideReview(compliance, { reviewId, version: 2, ...uphold });
    await expect(refusal).rejects.toBeInstanceOf(ReviewRefusedError);
    await expect(refusal).rejects.toThrow(`The customer's contest ${reference} cannot be answered yet: verify the requester's identity`);
    expect(await ledgerSize()).toBe(before);
    expect(await db.review.findUniqueOrThrow({ where: { id: reviewId } })).toMatchObject({ status: "claimed", verdict: null, version: 2 });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "in_progress", completedAt: null });
    expect(await db.privacyRequestNote.count({ where: { requestId } })).toBe(0);
  });

  it("refuses an overturn proposal for an unverified contest, so the approver is not the first to learn it", async () => {
    const decision = await makeDecision("SE", "declined");
    const { reviewId } = await contestDecisionAsStaff(compliance, decision.id, { details: "I never applied for this credit.", channel: "phone" });
    await claimReview(compliance, { reviewId, version: 1 });
    await expect(decideReview(compliance, { reviewId, version: 2, ...overturn })).rejects.toThrow(/cannot be answered yet/);
    expect((await db.review.findUniqueOrThrow({ where: { id: reviewId } })).status).toBe("claimed");
  });

  it("refuses the verdict while a UK contest's clock is paused for scope clarification", async () => {
    const { requestId, reviewId } = await verifiedContest("UK", "declined");
    await actOnPrivacyRequest(dpo, requestId, { intent: "pause", version: await requestVersion(requestId), reason: "Asked which of the two applications the customer means." });
    await claimReview(compliance, { reviewId, version: 1 });
    await expect(decideReview(compliance, { reviewId, version: 2, ...uphold })).rejects.toThrow(/clock is paused for scope clarification/);
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).state).toBe("scope_clarification");
  });

  it("leaves a contest the DPO already refused as refused when its review closes", async () => {
    const { requestId, reviewId } = await verifiedContest("SE", "approved");
    await actOnPrivacyRequest(dpo, requestId, { intent: "proposeRefusal", version: await requestVersion(requestId), reason: "Manifestly unfounded: the same complaint for the fifth time." });
    const dpo2 = await requireActor(await requestWithSession(await signInAs("dpo2@attest.test")));
    await actOnPrivacyRequest(dpo2, requestId, { intent: "approveRefusal", version: await requestVersion(requestId) });
    await claimReview(compliance, { reviewId, version: 1 });
    const before = await ledgerSize();
    await decideReview(compliance, { reviewId, version: 2, ...uphold });
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).state).toBe("refused");
    const [event] = await eventsSince(before);
    expect(changesOf(event!).after).not.toHaveProperty("contest");
  });
});

describe("completing a contest on a review's authority", () => {
  it("needs the review to be the contest's, closed, and decidable or approvable by the actor", async () => {
    const { requestId, reviewId } = await verifiedContest("SE", "approved");
    const other = await verifiedContest("SE", "approved");
    const complete = (actor: Actor, answeredByReviewId: string) =>
      db.$transaction((tx) => completePrivacyRequest(tx, actor, requestId, { note: "", isRecordedByCaller: true, answeredByReviewId }));

    await expect(complete(compliance, reviewId)).rejects.toThrow(/is not closed yet/);
    await claimReview(compliance, { reviewId: other.reviewId, version: 1 });
    await decideReview(compliance, { reviewId: other.reviewId, version: 2, ...uphold });
    await expect(complete(compliance, other.reviewId)).rejects.toThrow(/does not answer the contest/);
    // A closed review of this contest, but the DPO neither decides nor approves reviews.
    await db.review.update({ where: { id: reviewId }, data: { status: "closed", verdict: "upheld", closedAt: new Date() } });
    const response = await thrownResponse(() => complete(dpo, reviewId));
    expect(((await response.json()) as { missingPermission: string }).missingPermission).toBe("decide Review");
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).state).toBe("in_progress");

    // Only contests are answered by a review.
    const access = await db.privacyRequest.findUniqueOrThrow({ where: { id: ids.privacyRequests.seAccess } });
    await expect(
      db.$transaction((tx) => completePrivacyRequest(tx, compliance, access.id, { note: "", answeredByReviewId: reviewId })),
    ).rejects.toBeInstanceOf(PrivacyRequestRefusedError);
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: access.id } })).state).toBe(access.state);
  });
});

describe("a contest of a decision whose review is already open joins that review", () => {
  async function openReview(decisionId: string, data: { trigger: "referral" | "fraud_hold"; priority: number; dueAt: Date }) {
    return db.review.create({ data: { decisionId, regionCode: "SE", ...data } });
  }

  it("attaches to a claimed referral review (priority, link, earlier due date), keeps its state and holder, and closing it completes the contest", async () => {
    const decision = await makeDecision("SE", "declined");
    const lateDue = new Date(Date.now() + 90 * 86_400_000);
    const referral = await openReview(decision.id, { trigger: "referral", priority: 50, dueAt: lateDue });
    await claimReview(compliance, { reviewId: referral.id, version: 1 });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("in_review");

    const before = await ledgerSize();
    const contest = await contestDecisionAsStaff(compliance2, decision.id, { details: "The customer says the bureau entry is not theirs.", channel: "phone" });
    expect(contest).toMatchObject({ reviewId: referral.id, priority: 10, isAttachedToOpenReview: true });
    const request = await db.privacyRequest.findUniqueOrThrow({ where: { id: contest.requestId } });
    expect(request.dueAt.getTime()).toBeLessThan(lateDue.getTime());
    // One review for the decision: the claimed one, still held by its reviewer, now answering the contest.
    const reviews = await db.review.findMany({ where: { decisionId: decision.id } });
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ id: referral.id, trigger: "referral", status: "claimed", claimedById: compliance.user.id, priority: 10, privacyRequestId: request.id, version: 3 });
    expect(reviews[0]!.dueAt.toISOString()).toBe(request.dueAt.toISOString());
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("in_review");
    // The contest's one event says which review it joined and how that review changed.
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.subjectId])).toEqual([["contest.received", request.id]]);
    expect(changesOf(events[0]!).after).toMatchObject({
      reviewId: referral.id,
      priority: 10,
      attachedToOpenReview: {
        trigger: "referral",
        status: "claimed",
        before: { priority: 50, dueAt: lateDue.toISOString(), privacyRequestId: null, version: 2 },
        after: { priority: 10, dueAt: request.dueAt.toISOString(), privacyRequestId: request.id, version: 3 },
      },
    });

    // The reviewer's page from before the contest is stale: reload, then decide; the contest completes.
    await actOnPrivacyRequest(dpo, request.id, { intent: "verifyIdentity", version: await requestVersion(request.id), method: "knowledge_check", checks: ["name_matches", "date_of_birth_matches"], result: "verified" });
    await expect(decideReview(compliance, { reviewId: referral.id, version: 2, ...uphold })).rejects.toThrow(/changed by someone else/);
    const decided = await ledgerSize();
    await decideReview(compliance, { reviewId: referral.id, version: 3, ...uphold });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ state: "completed", completedById: compliance.user.id });
    const [event] = await eventsSince(decided);
    expect(changesOf(event!).after).toMatchObject({ verdict: "upheld", contest: { privacyRequestId: request.id, after: { state: "completed" } } });
    const view = await getPrivacyRequest(dpo, request.id);
    expect(view.contestReview).toMatchObject({ id: referral.id, status: "closed", verdict: "upheld" });
    expect(view.decision).toMatchObject({ canGenerateNotice: true });
  });

  it("keeps an earlier due date and a more urgent priority, and a review awaiting approval stays awaiting approval", async () => {
    const decision = await makeDecision("SE", "declined");
    const soon = new Date(Date.now() + 2 * 86_400_000);
    const hold = await db.review.create({
      data: { decisionId: decision.id, regionCode: "SE", trigger: "referral", priority: 5, dueAt: soon, status: "awaiting_approval", reviewerId: compliance.user.id, verdict: "overturned", verdictReason: "history_explained", decidedAt: new Date() },
    });
    await db.decision.update({ where: { id: decision.id }, data: { reviewState: "awaiting_approval" } });
    const contest = await contestDecisionAsStaff(compliance2, decision.id, { details: "Please look again.", channel: "post" });
    expect(contest).toMatchObject({ reviewId: hold.id, priority: 5, isAttachedToOpenReview: true });
    expect(await db.review.findUniqueOrThrow({ where: { id: hold.id } })).toMatchObject({ status: "awaiting_approval", priority: 5, dueAt: soon, privacyRequestId: contest.requestId, version: 2 });
    expect(await db.review.count({ where: { decisionId: decision.id } })).toBe(1);
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("awaiting_approval");
  });

  it("opens its own review when the decision's earlier reviews are all closed", async () => {
    const decision = await makeDecision("SE", "declined");
    const closed = await db.review.create({
      data: { decisionId: decision.id, regionCode: "SE", trigger: "referral", priority: 50, dueAt: new Date(), status: "closed", verdict: "upheld", closedAt: new Date() },
    });
    await db.decision.update({ where: { id: decision.id }, data: { reviewState: "upheld" } });
    const contest = await contestDecisionAsStaff(compliance2, decision.id, { details: "I disagree with the outcome.", channel: "phone" });
    expect(contest.isAttachedToOpenReview).toBe(false);
    expect(contest.reviewId).not.toBe(closed.id);
    expect(await db.review.findUniqueOrThrow({ where: { id: contest.reviewId } })).toMatchObject({ trigger: "contest", status: "open", priority: 10, privacyRequestId: contest.requestId });
    expect(await db.review.findUniqueOrThrow({ where: { id: closed.id } })).toMatchObject({ privacyRequestId: null, status: "closed" });
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("queued");
  });
});
