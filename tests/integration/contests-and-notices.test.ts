import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { requireActor } from "~/modules/access/actor.server";
import { createApiToken } from "~/modules/access/api-tokens.server";
import { ContestRefusedError, contestDecisionAsStaff } from "~/modules/decisions/contest.server";
import { NoticeRefusedError, generateDecisionNotice } from "~/modules/decisions/notices.server";
import { noticeTextLines } from "~/modules/decisions/notice-document";
import { listReviewQueue } from "~/modules/decisions/review-queue.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { claimReview, decideReview } from "~/modules/decisions/review.server";
import { ReviewQueueQuerySchema } from "~/modules/decisions/schema";
import { storedNoteBodies, storedRequestText } from "./helpers/stored-text";
import { db } from "~/utils/db.server";
import { action as contestApi } from "~/routes/api.v1.decisions.$externalId.contest";
import { fixtureIds as ids } from "../fixtures/ids";
import { actorFor, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { scratchDecisions } from "./helpers/scratch-decisions";
import { changesOf, eventsSince, ledgerSize, serialized } from "./helpers/ledger";

// Contest intake (issue 4.6) through the API and the staff form, and customer notices (issue 4.7):
// region scoping, validation, the priority review, and one audit event per contest and per notice.

const scratch = scratchDecisions();
afterAll(() => scratch.removeAll());

async function makeDecision(region: "SE" | "DE" | "US" | "UK", outcome: "declined" | "approved", reasons: string[] = ["CH01", "AF01"]) {
  return scratch.track(await db.decision.create({
    data: {
      externalId: `CN-${region}-${crypto.randomBytes(5).toString("hex")}`,
      customerId: ids.customers[region],
      kind: "credit",
      regionCode: region,
      modelName: "credit-gbm",
      modelVersion: "2026.10",
      score: 0.2,
      outcome,
      amount: "1200.00",
      currency: { SE: "SEK", DE: "EUR", US: "USD", UK: "GBP" }[region],
      features: { age: 41, bureauScore: 540, previousDelinquencies: 2, verifiedMonthlyIncome: 2100, existingExposure: 3000, fraudScore: 0.7, deviceRisk: "high" },
      decidedAt: new Date("2026-11-02T10:00:00Z"),
      reasons: { create: reasons.map((code, index) => ({ position: index + 1, code, contribution: 0.3 - index * 0.05 })) },
    },
  }));
}

function contestRequest(externalId: string, token: string | null, body: unknown) {
  return new Request(`http://attest.test/api/v1/decisions/${externalId}/contest`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function callContestApi(externalId: string, token: string | null, body: unknown) {
  try {
    return await contestApi({ request: contestRequest(externalId, token, body), params: { externalId }, context: {} });
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
}

let admin: Actor;
let compliance: Actor;
let compliance2: Actor;
let opsSe: Actor;
let seToken: string;

beforeAll(async () => {
  admin = await actorFor("admin");
  compliance = await actorFor("compliance");
  compliance2 = await requireActor(await requestWithSession(await signInAs("compliance2@attest.test")));
  opsSe = await actorFor("opsSe");
  seToken = (await createApiToken(admin, { name: "customer-app-se", scopes: ["privacy:write"], regions: ["SE"] })).secret;
});

describe("contest API", () => {
  it("records the customer's view and opens a review at the top of the queue", async () => {
    const decision = await makeDecision("SE", "declined");
    const before = await ledgerSize();
    const response = await callContestApi(decision.externalId, seToken, { details: "My income rose last month; please look at my new payslip.", channel: "in_app" });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { reference: string; privacyRequestId: string; reviewId: string; priority: number; dueAt: string };
    expect(body.priority).toBe(10);

    const request = await db.privacyRequest.findUniqueOrThrow({ where: { id: body.privacyRequestId } });
    expect(request).toMatchObject({ type: "contest", decisionId: decision.id, regionCode: "SE", regime: "eu_gdpr", channel: "in_app", identityState: "verified", state: "in_progress" });
    expect((await storedRequestText(request.id)).details).toBe("My income rose last month; please look at my new payslip.");
    // GDPR Art. 12(3): one calendar month, to the end of that day in Stockholm.
    const days = (request.dueAt.getTime() - request.receivedAt.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(28);
    expect(days).toBeLessThan(32);

    const review = await db.review.findUniqueOrThrow({ where: { id: body.reviewId } });
    expect(review).toMatchObject({ trigger: "contest", status: "open", privacyRequestId: request.id, decisionId: decision.id });
    const queue = await listReviewQueue(compliance, ReviewQueueQuerySchema.parse({ region: "SE" }));
    expect(queue.reviews[0]!.priority).toBeLessThanOrEqual(review.priority);
    expect(queue.reviews.findIndex((item) => item.trigger !== "contest")).toBeGreaterThan(queue.reviews.findIndex((item) => item.id === review.id));
    expect((await db.decision.findUniqueOrThrow({ where: { id: decision.id } })).reviewState).toBe("queued");

    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.subjectType, event.subjectId, event.actorType])).toEqual([["contest.received", "PrivacyRequest", request.id, "api_token"]]);
    // The customer's words are sealed under their key, never in clear in the ledger.
    expect(serialized(events)).not.toContain("new payslip");
    expect(changesOf(events[0]!).after).toMatchObject({ decisionId: decision.id, reviewId: review.id });

    const duplicate = await callContestApi(decision.externalId, seToken, { details: "Second message about the same decision.", channel: "in_app" });
    expect(duplicate.status).toBe(409);
    expect(((await duplicate.json()) as { existingReference: string }).existingReference).toBe(body.reference);
  });

  it("opens one contest when the same decision is contested twice at the same moment", async () => {
    const decision = await makeDecision("SE", "declined");
    const body = { details: "Sent twice by a double tap in the app.", channel: "in_app" };
    const responses = await Promise.all([callContestApi(decision.externalId, seToken, body), callContestApi(decision.externalId, seToken, body)]);
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409]);
    expect(await db.privacyRequest.count({ where: { decisionId: decision.id } })).toBe(1);
    expect(await db.review.count({ where: { decisionId: decision.id, trigger: "contest" } })).toBe(1);
  });

  it("keeps a token to its regions: another region's decision is not found, nothing is written and the probe is recorded", async () => {
    const german = await makeDecision("DE", "declined");
    const before = await ledgerSize();
    const response = await callContestApi(german.externalId, seToken, { details: "Ich möchte, dass ein Mensch das prüft.", channel: "in_app" });
    expect(response.status).toBe(404);
    // Exactly the answer an unknown external id gets (issue 13: no region oracle)…
    const unknown = await callContestApi("ENG-NEVER-INGESTED", seToken, { details: "Ich möchte, dass ein Mensch das prüft.", channel: "in_app" });
    expect(unknown.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toBe(`no decision with external id "${german.externalId}"`);
    expect(((await unknown.json()) as { error: string }).error).toBe('no decision with external id "ENG-NEVER-INGESTED"');
    const [refusal, unknownRefusal, ...more] = await eventsSince(before);
    expect(more).toEqual([]);
    expect(refusal).toMatchObject({ action: "api.call_refused", actorType: "api_token" });
    // …while the ledger keeps the true reason of each.
    expect(changesOf(refusal!)).toEqual({ method: "POST", endpoint: `/api/v1/decisions/${german.externalId}/contest`, status: 404, fields: [], reason: "outside_token_regions" });
    expect(changesOf(unknownRefusal!)).toMatchObject({ status: 404, reason: "unknown_decision" });
    expect(serialized(refusal)).not.toContain("Mensch");
    expect(await db.privacyRequest.count({ where: { decisionId: german.id } })).toBe(0);
  });

  it("refuses a missing token, a token without privacy:write, and a body that names no view", async () => {
    const decision = await makeDecision("SE", "declined");
    expect((await callContestApi(decision.externalId, null, { details: "Please review my application.", channel: "in_app" })).status).toBe(401);
    const readOnly = (await createApiToken(admin, { name: "ledger-reader", scopes: ["audit:read"], regions: ["SE"] })).secret;
    const scoped = await callContestApi(decision.externalId, readOnly, { details: "Please review my application.", channel: "in_app" });
    expect(scoped.status).toBe(403);
    expect(((await scoped.json()) as { error: string }).error).toContain('lacks the scope "privacy:write"');
    const invalid = await callContestApi(decision.externalId, seToken, { channel: "carrier pigeon" });
    expect(invalid.status).toBe(400);
    const issues = ((await invalid.json()) as { issues: { field: string }[] }).issues.map((issue) => issue.field);
    expect(issues).toEqual(expect.arrayContaining(["details", "channel"]));
    expect((await callContestApi(decision.externalId, seToken, "{not json")).status).toBe(400);
    expect(await db.privacyRequest.count({ where: { decisionId: decision.id } })).toBe(0);
  });
});

describe("contest of an erased customer's decision", () => {
  it("is recorded, but the customer's words stay off the ledger once their key was destroyed", async () => {
    const customer = scratch.trackCustomer(await db.customer.create({ data: { reference: `CUS-SE-ERASED-${crypto.randomBytes(3).toString("hex")}`, regionCode: "SE" } }));
    const { destroySubjectKey } = await import("~/modules/audit/subject-keys.server");
    const { sealForSubject } = await import("~/modules/audit/subject-keys.server");
    await db.$transaction(async (tx) => {
      await sealForSubject(tx, customer.id, { probe: true });
      await destroySubjectKey(tx, customer.id);
    });
    const decision = scratch.track(
      await db.decision.create({
        data: { externalId: `CN-SE-${crypto.randomBytes(5).toString("hex")}`, customerId: customer.id, kind: "credit", regionCode: "SE", modelName: "credit-gbm", modelVersion: "2026.10", score: 0.2, outcome: "declined", amount: "100.00", currency: "SEK", features: { age: 30 }, decidedAt: new Date() },
      }),
    );
    const before = await ledgerSize();
    const response = await callContestApi(decision.externalId, seToken, { details: "Please have a person look at this again.", channel: "in_app" });
    expect(response.status).toBe(201);
    const [event] = await eventsSince(before);
    expect(changesOf(event!)).not.toHaveProperty("personal");
    expect(changesOf(event!).after).toMatchObject({ isDetailsSealed: false });
  });
});

describe("contest by staff", () => {
  it("shows the customer's words to the person deciding the contest's review, and records that read", async () => {
    const decision = await makeDecision("SE", "declined");
    const contest = await contestDecisionAsStaff(compliance, decision.id, { details: "The bureau entry belongs to my namesake.", channel: "phone" });
    const wordsFor = async (actor: Actor) => (await getDecision(actor, decision.id)).reviews!.find((review) => review.contest)!.contest!;
    // Not yet claimed: a compliance officer may not read the customer's free text.
    expect(await wordsFor(compliance2)).toMatchObject({ details: null, withheldBecause: "personal_data" });
    await claimReview(compliance, { reviewId: contest.reviewId, version: 1 });
    const before = await ledgerSize();
    expect(await wordsFor(compliance)).toMatchObject({ details: "The bureau entry belongs to my namesake.", withheldBecause: null });
    const [read, ...more] = await eventsSince(before);
    expect(more).toEqual([]);
    expect(read).toMatchObject({ action: "privacy_request.details_read", subjectId: contest.requestId, actorId: compliance.user.id });
    expect(serialized(read)).not.toContain("namesake");
    // Someone else, who does not hold the review, still sees it withheld, and nothing is recorded.
    const middle = await ledgerSize();
    expect(await wordsFor(compliance2)).toMatchObject({ details: null, withheldBecause: "personal_data" });
    expect(await ledgerSize()).toBe(middle);
  });

  it("lets compliance record a contest in their regions, not an ops manager or another region", async () => {
    const decision = await makeDecision("SE", "declined");
    const before = await ledgerSize();
    const contest = await contestDecisionAsStaff(compliance, decision.id, { details: "Customer says the bureau entry is another person's.", channel: "phone" });
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(["contest.received"]);
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: contest.requestId } })).toMatchObject({ identityState: "pending", channel: "phone" });
    await expect(contestDecisionAsStaff(compliance, decision.id, { details: "Again the same complaint by post.", channel: "post" })).rejects.toBeInstanceOf(ContestRefusedError);

    const response = await thrownResponse(() => contestDecisionAsStaff(opsSe, decision.id, { details: "Customer disagrees with the decline.", channel: "phone" }));
    expect(((await response.json()) as { missingPermission: string }).missingPermission).toBe("contest Decision");
    const german = await makeDecision("DE", "declined");
    // Another region's decision answers like a missing one (issue 13: no region oracle).
    expect((await thrownResponse(() => contestDecisionAsStaff(opsSe, german.id, { details: "Customer disagrees with the decline.", channel: "phone" }))).status).toBe(404);
  });
});

describe("notices", () => {
  it("generates the adverse-action notice in the region's language from at most four disclosable reasons, recorded and audited", async () => {
    const decision = await makeDecision("SE", "declined", ["FR01", "CH01", "AF01", "EX01", "CH02", "CH03"]);
    const before = await ledgerSize();
    const { notice, noticeId, contentSha256 } = await generateDecisionNotice(opsSe, decision.id, "adverse_action");
    expect(notice.language).toBe("sv");
    expect(notice.title).toBe("Besked om vårt kreditbeslut");
    const text = noticeTextLines(notice).join("\n");
    expect(text).toContain("rätt att få beslutet prövat av en människa");
    expect(text).toContain("UC AB");
    expect(notice.reasonCodes.length).toBeLessThanOrEqual(4);
    const reasons = notice.sections.find((section) => section.list)!.list!;
    expect(reasons.length).toBeLessThanOrEqual(4);
    expect(text).not.toMatch(/FR0\d/);

    const record = await db.decisionNotice.findUniqueOrThrow({ where: { id: noticeId } });
    expect(record).toMatchObject({ decisionId: decision.id, kind: "adverse_action", locale: "sv-SE", contentSha256, generatedById: opsSe.user.id });
    expect(record.reasonCodes).toEqual(notice.reasonCodes);
    const events = await eventsSince(before);
    expect(events.map((event) => [event.action, event.subjectId])).toEqual([["decision.notice_generated", decision.id]]);
    expect(changesOf(events[0]!).after).toMatchObject({ noticeId, contentSha256, locale: "sv-SE" });
  });

  it("refuses notices outside the viewer's regions or for decisions that were not declined", async () => {
    const german = await makeDecision("DE", "declined");
    expect((await thrownResponse(() => generateDecisionNotice(opsSe, german.id, "adverse_action"))).status).toBe(404);
    const approved = await makeDecision("SE", "approved", []);
    const before = await ledgerSize();
    await expect(generateDecisionNotice(compliance, approved.id, "adverse_action")).rejects.toBeInstanceOf(NoticeRefusedError);
    await expect(generateDecisionNotice(compliance, approved.id, "review_outcome")).rejects.toThrow(/no closed review of a customer's contest/);
    expect(await ledgerSize()).toBe(before);
  });

  it("tells a contesting customer the outcome once the priority review is closed (four-eyes for a reversal)", async () => {
    const decision = await makeDecision("US", "declined", ["CH02"]);
    const contest = await contestDecisionAsStaff(compliance, decision.id, { details: "I have had a credit card for ten years.", channel: "email" });
    // A contest taken by staff is answered once the DPO has verified who sent it.
    const { actOnPrivacyRequest } = await import("~/modules/privacy/privacy-requests.server");
    await actOnPrivacyRequest(await actorFor("dpo"), contest.requestId, { intent: "verifyIdentity", version: 1, method: "email_on_file", checks: ["email_matches"], result: "verified" });
    await claimReview(compliance, { reviewId: contest.reviewId, version: 1 });
    await decideReview(compliance, { reviewId: contest.reviewId, version: 2, verdict: "overturned", reason: "contest_upheld_for_customer", justification: "Bureau file was mixed with another person's." });
    await expect(generateDecisionNotice(compliance, decision.id, "review_outcome")).rejects.toBeInstanceOf(NoticeRefusedError);
    const { approveReview } = await import("~/modules/decisions/review.server");
    await approveReview(compliance2, { reviewId: contest.reviewId, version: 3 });
    expect(await storedNoteBodies(contest.requestId)).toEqual([expect.stringContaining("changed in the customer's favour")]);
    expect((await db.privacyRequest.findUniqueOrThrow({ where: { id: contest.requestId } })).state).toBe("completed");
    const { notice, noticeId } = await generateDecisionNotice(compliance, decision.id, "review_outcome");
    expect(await db.decisionNotice.findUniqueOrThrow({ where: { id: noticeId } })).toMatchObject({ kind: "review_outcome", locale: "en-US", reasonCodes: [] });
    expect(notice.language).toBe("en");
    expect(noticeTextLines(notice).join("\n")).toContain("we have changed our decision in your favour");
  });
});
