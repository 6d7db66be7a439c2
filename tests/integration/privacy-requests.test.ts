import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { requireActor } from "~/modules/access/actor.server";
import { createApiToken } from "~/modules/access/api-tokens.server";
import { openSealed } from "~/modules/audit/subject-keys.server";
import { getCustomer } from "~/modules/customers/customers.server";
import { localDay } from "~/modules/privacy/deadlines";
import {
  actOnPrivacyRequest,
  completePrivacyRequest,
  createPrivacyRequest,
  exportPrivacyRequests,
  getPrivacyRequest,
  listPrivacyRequests,
  PrivacyRequestRefusedError,
} from "~/modules/privacy/privacy-requests.server";
import { PrivacyRequestListQuerySchema, type PrivacyRequestAction } from "~/modules/privacy/schema";
import { action as apiAction } from "~/routes/api.v1.privacy-requests";
import { writePersonalData } from "~/modules/customers/personal-data.server";
import { createSubjectKeys } from "~/modules/customers/subject-keys.server";
import { storedNoteBodies, storedPersonalData, storedRequestText } from "./helpers/stored-text";
import { db } from "~/utils/db.server";
import { fixtureIds as ids } from "../fixtures/ids";
import { personas } from "../fixtures/staff";
import { actorFor, createTestStaff, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize, sealedOf, serialized } from "./helpers/ledger";

// Privacy requests (issue 5): intake from the form and the API, regime deadlines, identity, duplicates,
// extensions, UK pauses, four-eyes refusal, rectification, restriction and objection — each change
// one audit event in its own transaction, personal data only sealed under the subject's key.

let dpo: Actor;
let secondDpo: Actor;
let compliance: Actor;
let admin: Actor;

const createdCustomerIds: string[] = [];
let ledgerAtStart = 0;

/** A customer of its own for each test, so changes never leak into other files' fixtures. */
async function newCustomer(regionCode: "SE" | "DE" | "NL" | "UK" | "US" | "AU", email = `${crypto.randomBytes(5).toString("hex")}@example.test`) {
  const reference = `CUS-${regionCode}-T${crypto.randomBytes(4).toString("hex")}`;
  const customer = await db.customer.create({ data: { reference, regionCode } });
  await createSubjectKeys(db, [{ id: customer.id, kind: "customer" }]);
  await writePersonalData(db, customer.id, {
    fullName: "Test Person", email, phone: "+46 8 555 0100", dateOfBirth: "1990-02-03", street: "Storgatan 1", postalCode: "111 22", city: "Stockholm", country: regionCode === "UK" ? "GB" : regionCode,
  });
  createdCustomerIds.push(customer.id);
  return { id: customer.id, reference, email };
}

/** Runs `fn` and asserts it appended exactly one event, of `action`; returns the event and the result. */
async function oneEvent<T>(action: string, fn: () => Promise<T>) {
  const before = await ledgerSize();
  const result = await fn();
  const events = await eventsSince(before);
  expect(events.map((event) => event.action)).toEqual([action]);
  return { event: events[0]!, result };
}

async function refusal(fn: () => Promise<unknown>) {
  const before = await ledgerSize();
  const error = await fn().then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PrivacyRequestRefusedError);
  // A refused step writes nothing, not even an audit event.
  expect(await ledgerSize()).toBe(before);
  return error as PrivacyRequestRefusedError;
}

async function act(actor: Actor, requestId: string, input: Omit<PrivacyRequestAction, "version"> & Record<string, unknown>) {
  const row = await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } });
  return actOnPrivacyRequest(actor, requestId, { ...input, version: row.version } as PrivacyRequestAction);
}

const verify = { intent: "verifyIdentity", method: "email_on_file", checks: ["email_matches", "date_of_birth_matches"], result: "verified" } as const;

/** The same date one calendar month later in London, as the UK rule counts (month ends clamped). */
function addMonthsUtc(instant: Date) {
  const [year, month, date] = localDay(instant, "Europe/London").split("-").map(Number) as [number, number, number];
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date, last), 12));
}

beforeAll(async () => {
  ledgerAtStart = await ledgerSize();
  dpo = await actorFor("dpo");
  compliance = await actorFor("compliance");
  admin = await actorFor("admin");
  const second = await createTestStaff("dpo", ["SE", "DE", "NL", "UK", "US", "AU"], "second-dpo");
  secondDpo = await requireActor(await requestWithSession(await signInAs(second.email)));
});

// Other files count the fixtures' customers and requests exactly: remove what this file created (the
// ledger keeps its events, which is what an erasure leaves behind too).
afterAll(async () => {
  const received = await db.auditEvent.findMany({ where: { seq: { gt: BigInt(ledgerAtStart) }, action: "privacy_request.received" }, select: { subjectId: true } });
  const requestIds = received.map((event) => event.subjectId!).filter(Boolean);
  await db.privacyRequest.updateMany({ where: { id: { in: requestIds } }, data: { duplicateOfId: null } });
  await db.privacyRequest.deleteMany({ where: { id: { in: requestIds } } });
  await db.customer.deleteMany({ where: { id: { in: createdCustomerIds } } });
});

describe("intake from the staff form", () => {
  it("matches by customer reference, sets the EU due date one calendar month out in the region's zone and records the event", async () => {
    const customer = await newCustomer("SE");
    const { event, result } = await oneEvent("privacy_request.received", () =>
      createPrivacyRequest(dpo, { type: "erasure", regionCode: "SE", channel: "email", customerReference: customer.reference, requesterEmail: customer.email, receivedOn: "2026-01-31" }),
    );
    const stored = await db.privacyRequest.findUniqueOrThrow({ where: { id: result.id } });
    expect(stored).toMatchObject({ customerId: customer.id, regime: "eu_gdpr", state: "received", identityState: "unverified", duplicateOfId: null });
    expect(stored.receivedAt.toISOString()).toBe("2026-01-30T23:00:00.000Z");
    expect(localDay(stored.dueAt, "Europe/Stockholm")).toBe("2026-02-28");
    expect(event).toMatchObject({ subjectType: "PrivacyRequest", subjectId: result.id, regionCode: "SE", actorId: personas.dpo.id });
    // The requester's email is in the event only sealed under the subject's key.
    expect(serialized(event)).not.toContain(customer.email);
    const sealed = changesOf(event).personal as never;
    expect(await db.$transaction((tx) => openSealed(tx, sealed))).toEqual({ requesterName: null, requesterEmail: customer.email });
  });

  it("matches by email against the customers' personal data of that region only", async () => {
    const customer = await newCustomer("DE", `match.${crypto.randomBytes(3).toString("hex")}@example.de`);
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "DE", channel: "web_form", requesterEmail: customer.email.toUpperCase().toLowerCase() });
    expect(created).toMatchObject({ customerId: customer.id, matchedBy: "email" });
    const elsewhere = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "web_form", requesterEmail: customer.email });
    expect(elsewhere).toMatchObject({ customerId: null, matchedBy: null });
  });

  it("refuses an unknown customer reference or one of another region, naming the field, and writes nothing", async () => {
    const german = await newCustomer("DE");
    const before = await db.privacyRequest.count();
    const unknown = await refusal(() => createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: "CUS-NOPE" }));
    expect(unknown.field).toBe("customerReference");
    const otherRegion = await refusal(() => createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: german.reference }));
    expect(otherRegion.message).toContain("no customer of region SE");
    expect(await db.privacyRequest.count()).toBe(before);
  });

  it("refuses a day received in the future", async () => {
    const error = await refusal(() => createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", requesterEmail: "a@b.test", receivedOn: "2999-01-01" }));
    expect(error.field).toBe("receivedOn");
  });

  it("lets only roles with create permission log requests", async () => {
    const response = await thrownResponse(() => createPrivacyRequest(compliance, { type: "access", regionCode: "SE", channel: "email", requesterEmail: "x@y.test" }));
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ missingPermission: expect.stringMatching(/^create PrivacyRequest/) });
  });
});

describe("duplicates", () => {
  it("flags an open request of the same type for the same subject and blocks acting on it until identity is verified", async () => {
    const customer = await newCustomer("SE");
    const first = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    const second = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "web_form", customerReference: customer.reference });
    const otherType = await createPrivacyRequest(dpo, { type: "erasure", regionCode: "SE", channel: "web_form", customerReference: customer.reference });
    expect(second).toMatchObject({ duplicateOfId: first.id, duplicateOf: first.reference });
    expect(otherType.duplicateOfId).toBeNull();

    const extendError = await refusal(() => act(dpo, second.id, { intent: "extend", extendBy: 2, reason: "Complex request over many years", notifiedOn: localDay(new Date(), "Europe/Stockholm") }));
    expect(extendError.message).toContain(`duplicates ${first.reference}`);
    const refuseError = await refusal(() => act(dpo, second.id, { intent: "proposeRefusal", reason: "Duplicate of an open request already being answered" }));
    expect(refuseError.message).toContain("identity is not verified");

    await act(dpo, second.id, verify);
    await oneEvent("privacy_request.refusal_proposed", () => act(dpo, second.id, { intent: "proposeRefusal", reason: "Duplicate of an open request already being answered" }));
    const view = await getPrivacyRequest(dpo, second.id);
    expect(view.duplicateOf).toMatchObject({ id: first.id });
  });

  it("does not flag once the earlier request is closed", async () => {
    const customer = await newCustomer("SE");
    const first = await createPrivacyRequest(dpo, { type: "objection", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await db.privacyRequest.update({ where: { id: first.id }, data: { state: "completed" } });
    const again = await createPrivacyRequest(dpo, { type: "objection", regionCode: "SE", channel: "email", customerReference: customer.reference });
    expect(again.duplicateOfId).toBeNull();
  });

  it("flags exactly one of two simultaneous requests", async () => {
    const customer = await newCustomer("DE");
    const both = await Promise.all([
      createPrivacyRequest(dpo, { type: "portability", regionCode: "DE", channel: "email", customerReference: customer.reference }),
      createPrivacyRequest(secondDpo, { type: "portability", regionCode: "DE", channel: "web_form", customerReference: customer.reference }),
    ]);
    expect(both.filter((request) => request.duplicateOfId !== null)).toHaveLength(1);
  });
});

describe("identity, the UK clock and pauses", () => {
  it("runs the UK clock from the day the identity information arrived, recorded apart from the day it was checked (Art. 12A)", async () => {
    const customer = await newCustomer("UK");
    const day = (daysAgo: number) => localDay(new Date(Date.now() - daysAgo * 86_400_000), "Europe/London");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "UK", channel: "email", customerReference: customer.reference, receivedOn: day(12) });
    // Until identity information is asked for and arrives, the clock runs from receipt.
    const received = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(received.clockStartedAt).toEqual(received.receivedAt);
    expect(localDay(received.dueAt, "Europe/London")).toBe(localDay(addMonthsUtc(received.receivedAt), "Europe/London"));

    await oneEvent("privacy_request.identity_requested", () => act(dpo, created.id, { intent: "requestIdentity" }));
    // A day in the future is refused, naming the field; nothing is written.
    expect(await refusal(() => act(dpo, created.id, { ...verify, informationReceivedOn: day(-2) }))).toMatchObject({ field: "informationReceivedOn" });

    // It arrived five days ago; the DPO checks it today.
    const { event } = await oneEvent("privacy_request.identity_verified", () => act(dpo, created.id, { ...verify, informationReceivedOn: day(5) }));
    const stored = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored).toMatchObject({ identityState: "verified", state: "in_progress", identityVerifiedById: personas.dpo.id, feeReceivedAt: null });
    expect(stored.identityEvidence).toMatchObject({ method: "email_on_file", checks: ["email_matches", "date_of_birth_matches"], result: "verified", documentsKept: false });
    expect(localDay(stored.identityInformationReceivedAt!, "Europe/London")).toBe(day(5));
    expect(stored.identityVerifiedAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(stored.clockStartedAt).toEqual(stored.identityInformationReceivedAt);
    // One month from the day the information arrived, not from the check.
    expect(localDay(stored.dueAt, "Europe/London")).toBe(localDay(addMonthsUtc(stored.identityInformationReceivedAt!), "Europe/London"));
    expect(changesOf(event).after).toMatchObject({ identityState: "verified", identityInformationReceivedAt: stored.identityInformationReceivedAt!.toISOString(), clockStartedAt: stored.clockStartedAt!.toISOString() });
  });

  it("runs the UK clock from a fee received after the identity information", async () => {
    const customer = await newCustomer("UK");
    const day = (daysAgo: number) => localDay(new Date(Date.now() - daysAgo * 86_400_000), "Europe/London");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "UK", channel: "email", customerReference: customer.reference, receivedOn: day(10) });
    await act(dpo, created.id, { ...verify, informationReceivedOn: day(8), feeReceivedOn: day(3) });
    const stored = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(localDay(stored.feeReceivedAt!, "Europe/London")).toBe(day(3));
    expect(stored.clockStartedAt).toEqual(stored.feeReceivedAt);
  });

  it("pauses and resumes the UK clock with a recorded reason, and moves the due date by the whole days paused", async () => {
    const customer = await newCustomer("UK");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "UK", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, { ...verify, informationReceivedOn: localDay(new Date(), "Europe/London") });
    await oneEvent("privacy_request.paused", () => act(dpo, created.id, { intent: "pause", reason: "Asked which purchases the request covers" }));
    expect((await getPrivacyRequest(dpo, created.id)).request).toMatchObject({ state: "scope_clarification", band: "paused" });
    const before = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    // The requester answers three days later.
    const pause = await db.privacyRequestPause.findFirstOrThrow({ where: { requestId: created.id } });
    await db.privacyRequestPause.update({ where: { id: pause.id }, data: { startedAt: new Date(pause.startedAt.getTime() - 3 * 86_400_000) } });
    const { event } = await oneEvent("privacy_request.resumed", () => act(dpo, created.id, { intent: "resume" }));
    const after = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(after.state).toBe("in_progress");
    const moved = (Date.parse(localDay(after.dueAt, "Europe/London")) - Date.parse(localDay(before.dueAt, "Europe/London"))) / 86_400_000;
    expect(moved).toBe(3);
    expect(changesOf(event).after).toMatchObject({ pausedDays: 3 });
    expect(await db.privacyRequestPause.findUniqueOrThrow({ where: { id: pause.id } })).toMatchObject({ startedById: personas.dpo.id });
    expect((await getPrivacyRequest(dpo, created.id)).pauses.map((entry) => entry.reason)).toEqual(["Asked which purchases the request covers"]);
  });

  it("refuses to pause an EU request: only UK GDPR stops the clock for clarification", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    const error = await refusal(() => act(dpo, created.id, { intent: "pause", reason: "Asked which purchases the request covers" }));
    expect(error.message).toContain("does not pause");
  });
});

describe("extensions", () => {
  it("refuses an extension without a reason, beyond the limit, or under a regime without one; records a valid one", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    const today = localDay(new Date(), "Europe/Stockholm");
    const noReason = await refusal(() => act(dpo, created.id, { intent: "extend", extendBy: 2, notifiedOn: today }));
    expect(noReason).toMatchObject({ field: "reason", message: expect.stringContaining("reason for the extension") });
    const tooLong = await refusal(() => act(dpo, created.id, { intent: "extend", extendBy: 3, reason: "Complex request over many years", notifiedOn: today }));
    expect(tooLong).toMatchObject({ field: "extendBy", message: expect.stringContaining("2 months") });
    const untold = await refusal(() => act(dpo, created.id, { intent: "extend", extendBy: 2, reason: "Complex request over many years" }));
    expect(untold.field).toBe("notifiedOn");

    const { event } = await oneEvent("privacy_request.extended", () =>
      act(dpo, created.id, { intent: "extend", extendBy: 2, reason: "Complex request over many years", notifiedOn: today }),
    );
    const stored = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect((await storedRequestText(created.id)).extensionReason).toBe("Complex request over many years");
    expect(stored.extensionNotifiedAt).not.toBeNull();
    expect(localDay(stored.extendedDueAt!, "Europe/Stockholm") > localDay(stored.dueAt, "Europe/Stockholm")).toBe(true);
    expect(event.justification).toBeNull();
    expect(changesOf(event).sealedFields).toEqual(["justification"]);
    expect(await sealedOf(event)).toEqual({ justification: "Complex request over many years" });
    const again = await refusal(() => act(dpo, created.id, { intent: "extend", extendBy: 1, reason: "Complex request over many years", notifiedOn: today }));
    expect(again.message).toContain("only once");

    const australian = await newCustomer("AU");
    const au = await createPrivacyRequest(dpo, { type: "access", regionCode: "AU", channel: "email", customerReference: australian.reference });
    await act(dpo, au.id, verify);
    const none = await refusal(() => act(dpo, au.id, { intent: "extend", extendBy: 10, reason: "Complex request over many years", notifiedOn: localDay(new Date(), "Australia/Sydney") }));
    expect(none.message).toContain("no extension");
  });

  it("refuses an extension once the first period has ended", async () => {
    const customer = await newCustomer("DE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "DE", channel: "email", customerReference: customer.reference, receivedOn: localDay(new Date(Date.now() - 40 * 86_400_000), "Europe/Berlin") });
    await act(dpo, created.id, verify);
    const error = await refusal(() => act(dpo, created.id, { intent: "extend", extendBy: 2, reason: "Complex request over many years", notifiedOn: localDay(new Date(), "Europe/Berlin") }));
    expect(error.message).toContain("first period has ended");
  });

  it("refuses a stale form: someone else changed the request in between", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    const { version } = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    await act(secondDpo, created.id, { intent: "note", body: "Called the customer back" });
    const error = await refusal(() => actOnPrivacyRequest(dpo, created.id, { intent: "note", version, body: "A note from an old tab" }));
    expect(error.message).toContain("someone else changed");
  });
});

describe("four-eyes refusal", () => {
  it("needs a reason, and a second DPO: the proposer cannot approve", async () => {
    const customer = await newCustomer("NL");
    const created = await createPrivacyRequest(dpo, { type: "erasure", regionCode: "NL", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    // The form's schema already asks for a reason; the module refuses one that is too thin as well.
    await refusal(() => act(dpo, created.id, { intent: "proposeRefusal", reason: "no" }));

    const reason = "Records must be kept under anti-money-laundering law for five more years";
    await oneEvent("privacy_request.refusal_proposed", () => act(dpo, created.id, { intent: "proposeRefusal", reason }));
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ state: "awaiting_approval", pendingAction: "refusal", approvalRequestedById: personas.dpo.id });

    const before = await ledgerSize();
    const ownApproval = await thrownResponse(() => act(dpo, created.id, { intent: "approveRefusal" }));
    expect(ownApproval.status).toBe(403);
    expect(await ownApproval.json()).toMatchObject({ missingPermission: expect.stringContaining("a second DPO") });
    expect(await ledgerSize()).toBe(before);
    const byCompliance = await thrownResponse(() => act(compliance, created.id, { intent: "approveRefusal" }));
    expect(byCompliance.status).toBe(403);

    const { event } = await oneEvent("privacy_request.refusal_approved", () => act(secondDpo, created.id, { intent: "approveRefusal" }));
    const stored = await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored).toMatchObject({ state: "refused", pendingAction: null, approverId: secondDpo.user.id });
    expect((await storedRequestText(created.id)).refusalReason).toBe(reason);
    expect(stored.complaintRightNotice).toContain("Autoriteit Persoonsgegevens");
    expect(event.actorId).toBe(secondDpo.user.id);
  });

  it("a rejected refusal reopens the request", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    await act(dpo, created.id, { intent: "proposeRefusal", reason: "Manifestly excessive: the fourth identical request this month" });
    const { event } = await oneEvent("privacy_request.refusal_rejected", () => act(secondDpo, created.id, { intent: "rejectRefusal", reason: "Only the second request; answer it" }));
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ state: "in_progress", pendingAction: null, refusalReason: null });
    // Both reasons may describe the customer: sealed under their key, neither in clear in the ledger.
    expect(event.justification).toBeNull();
    expect(serialized(event)).not.toContain("Manifestly excessive");
    expect(serialized(event)).not.toContain("Only the second request");
    expect(changesOf(event).sealedFields).toEqual(["justification", "withdrawnRefusalReason"]);
    expect(await sealedOf(event)).toEqual({ justification: "Only the second request; answer it", withdrawnRefusalReason: "Manifestly excessive: the fourth identical request this month" });
    // The withdrawn reason stays on the request, where erasure can clean it.
    expect(await storedNoteBodies(created.id)).toContainEqual(expect.stringContaining("proposed reason: Manifestly excessive"));
  });

  it("keeps the reasons of a request matched to nobody off the ledger: they stay on the request only", async () => {
    const email = `nobody.${crypto.randomBytes(4).toString("hex")}@example.se`;
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", requesterEmail: email });
    expect(created.customerId).toBeNull();
    const reason = `Sender ${email} could not be identified after two letters`;
    const { event } = await oneEvent("privacy_request.refusal_proposed", () => act(dpo, created.id, { intent: "proposeRefusal", reason }));
    expect(event.justification).toBeNull();
    expect(serialized(event)).not.toContain(email);
    expect(changesOf(event).withheldFields).toEqual(["justification"]);
    expect(changesOf(event).personal).toBeUndefined();
    expect((await storedRequestText(created.id)).refusalReason).toBe(reason);
  });
});

describe("rectification, restriction and objection", () => {
  it("rectifies personal data, keeping the old value only sealed under the subject's key", async () => {
    const customer = await newCustomer("SE", `old.${crypto.randomBytes(4).toString("hex")}@example.se`);
    const created = await createPrivacyRequest(dpo, { type: "rectification", regionCode: "SE", channel: "email", customerReference: customer.reference });
    const unverified = await refusal(() => act(dpo, created.id, { intent: "rectify", email: "new@example.se" }));
    expect(unverified.message).toContain("verify");
    await act(dpo, created.id, verify);
    const unchanged = await refusal(() => act(dpo, created.id, { intent: "rectify", email: customer.email }));
    expect(unchanged.message).toContain("differs");

    const newEmail = `new.${crypto.randomBytes(4).toString("hex")}@example.se`;
    const { event } = await oneEvent("customer.personal_data_rectified", () => act(dpo, created.id, { intent: "rectify", email: newEmail, city: "Uppsala" }));
    expect(await storedPersonalData(customer.id)).toMatchObject({ email: newEmail, city: "Uppsala" });
    expect(event).toMatchObject({ subjectType: "Customer", subjectId: customer.id });
    expect(changesOf(event)).toMatchObject({ fields: ["email", "city"], requestId: created.id });
    // Nowhere in clear: not in the event, not in any note, not in the request.
    expect(serialized(event)).not.toContain(customer.email);
    expect(serialized(await db.privacyRequestNote.findMany({ where: { requestId: created.id } }))).not.toContain(customer.email);
    expect(serialized(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } }))).not.toContain(customer.email);
    const opened = await db.$transaction((tx) => openSealed(tx, changesOf(event).personal as never));
    expect(opened).toEqual({ before: { email: customer.email, city: "Stockholm" }, after: { email: newEmail, city: "Uppsala" } });

    await oneEvent("privacy_request.completed", () => act(dpo, created.id, { intent: "complete", note: "Customer told of the correction" }));
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ state: "completed", completedById: personas.dpo.id });
  });

  it("restricts processing: the customer page withholds the personal data from others, the DPO still sees it", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "restriction", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    await oneEvent("customer.processing_restricted", () => act(dpo, created.id, { intent: "restrict", reason: "Accuracy contested while the address is checked (Art. 18(1)(a))" }));
    expect(await db.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ isRestricted: true, restrictedAt: expect.any(Date) });

    const seenByCompliance = await getCustomer(compliance, customer.id);
    expect(seenByCompliance).toMatchObject({ isPersonalDataWithheld: true, personalData: null });
    const seenByDpo = await getCustomer(dpo, customer.id);
    expect(seenByDpo.isPersonalDataWithheld).toBe(false);
    expect(seenByDpo.personalData).toMatchObject({ fullName: "Test Person", isMasked: false });

    await refusal(() => act(dpo, created.id, { intent: "restrict", reason: "Accuracy contested while the address is checked" }));
    await oneEvent("customer.restriction_lifted", () => act(dpo, created.id, { intent: "liftRestriction", reason: "Address confirmed; customer told before lifting" }));
    expect(await db.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ isRestricted: false, restrictedAt: null });
  });

  it("records an objection on the customer and routes it to a compliance officer", async () => {
    const customer = await newCustomer("DE");
    const created = await createPrivacyRequest(dpo, { type: "objection", regionCode: "DE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    const badRoute = await refusal(() => act(dpo, created.id, { intent: "recordObjection", grounds: "Objects to profiling for marketing", routeToId: personas.auditor.id }));
    expect(badRoute.field).toBe("routeToId");
    const grounds = "Objects to profiling for marketing offers";
    const { event } = await oneEvent("customer.objection_recorded", () => act(dpo, created.id, { intent: "recordObjection", grounds, routeToId: personas.compliance.id }));
    expect((await db.customer.findUniqueOrThrow({ where: { id: customer.id } })).objectedAt).not.toBeNull();
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ assigneeId: personas.compliance.id });
    expect(serialized(event)).not.toContain(grounds);
    const page = await getCustomer(compliance, customer.id);
    expect(page.customer.objectedAt).not.toBeNull();
    expect(page.privacyRequests?.find((request) => request.id === created.id)?.assignee?.displayName).toBe(personas.compliance.displayName);
  });

  it("completePrivacyRequest needs verified identity and the complete permission", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "erasure", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await refusal(() => db.$transaction((tx) => completePrivacyRequest(tx, dpo, created.id, { note: "Erased" })));
    await act(dpo, created.id, verify);
    const byCompliance = await thrownResponse(() => db.$transaction((tx) => completePrivacyRequest(tx, compliance, created.id, { note: "Erased" })));
    expect(byCompliance.status).toBe(403);
    await oneEvent("privacy_request.completed", () => db.$transaction((tx) => completePrivacyRequest(tx, dpo, created.id, { note: "Erasure executed" })));
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ state: "completed", completedById: personas.dpo.id });
  });
});

describe("free text on the request page", () => {
  it("sends the requester's words, notes, objection grounds and refusal reasons only to a role that may read the customer's personal data", async () => {
    const customer = await newCustomer("SE");
    const details = "I am Test Person of Storgatan 1 and I object to the marketing profiling.";
    const created = await createPrivacyRequest(dpo, {
      type: "objection",
      regionCode: "SE",
      channel: "email",
      customerReference: customer.reference,
      details,
      requesterName: "Test Person",
      requesterEmail: customer.email,
    });
    await act(dpo, created.id, verify);
    const note = "Called Test Person on +46 8 555 0100 to confirm the scope.";
    await act(dpo, created.id, { intent: "note", body: note });
    const grounds = "Objects because of a recent divorce and financial hardship";
    await act(dpo, created.id, { intent: "recordObjection", grounds, routeToId: personas.compliance.id });
    const refused = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference, details: "Copy of all my data please" });
    await act(dpo, refused.id, verify);
    const reason = "Test Person asked for the same data last week; manifestly excessive.";
    await act(dpo, refused.id, { intent: "proposeRefusal", reason });
    const secrets = [details, note, grounds, reason, "Test Person", customer.email, "Copy of all my data"];

    // The DPO (granted the personal data fields) reads everything, grounds included.
    const forDpo = await getPrivacyRequest(dpo, created.id);
    expect(forDpo.isFreeTextWithheld).toBe(false);
    expect(forDpo.request.details).toBe(details);
    expect(forDpo.notes.map((item) => item.body)).toEqual(expect.arrayContaining([note, expect.stringContaining(grounds)]));
    expect((await getPrivacyRequest(secondDpo, refused.id)).request.refusalReason).toBe(reason);

    // Auditors and compliance officers (the objection's assignee included) read the request's facts, not its free text.
    const auditor = await actorFor("auditor");
    for (const reader of [auditor, compliance]) {
      for (const requestId of [created.id, refused.id]) {
        const view = await getPrivacyRequest(reader, requestId);
        expect(view.isFreeTextWithheld).toBe(true);
        const text = serialized(view);
        for (const secret of secrets) expect(text).not.toContain(secret);
        expect(view.request.details).toBe("withheld — may contain personal data");
        if (requestId === created.id) expect(view.notes).toHaveLength(2);
        expect(view.notes.every((item) => item.body === "withheld — may contain personal data")).toBe(true);
      }
      expect((await getPrivacyRequest(reader, refused.id)).request).toMatchObject({ pendingAction: "refusal", refusalReason: "withheld — may contain personal data" });
      expect((await getPrivacyRequest(reader, created.id)).request.hasRequesterContact).toBe(true);
    }
  });

  it("decides an unmatched request by its region, and leaves absent text absent", async () => {
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", requesterEmail: "nobody-known@example.test", details: "My name is Anna Okänd." });
    const empty = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", requesterEmail: "nobody-else@example.test" });
    const auditor = await actorFor("auditor");
    expect((await getPrivacyRequest(auditor, created.id)).request.details).toBe("withheld — may contain personal data");
    expect((await getPrivacyRequest(dpo, created.id)).request.details).toBe("My name is Anna Okänd.");
    expect((await getPrivacyRequest(auditor, empty.id)).request).toMatchObject({ details: null, refusalReason: null, extensionReason: null });
  });
});

describe("the list and its export", () => {
  it("hides unverified requests by default, filters by assignee, and shows the days-left band", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    const query = (params: Record<string, string>) => PrivacyRequestListQuerySchema.parse({ q: created.reference, ...params });
    expect((await listPrivacyRequests(dpo, query({}))).requests).toHaveLength(0);
    expect((await listPrivacyRequests(dpo, query({}))).hiddenUnverified).toBe(1);
    // Asking the requester to confirm their identity does not verify it: still hidden.
    await act(dpo, created.id, { intent: "requestIdentity" });
    expect((await listPrivacyRequests(dpo, query({}))).requests).toHaveLength(0);
    expect((await listPrivacyRequests(dpo, query({}))).hiddenUnverified).toBe(1);
    const shown = (await listPrivacyRequests(dpo, query({ unverified: "show" }))).requests;
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ reference: created.reference, band: "ok", dueDay: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    await act(dpo, created.id, { intent: "assign", assigneeId: secondDpo.user.id });
    expect((await listPrivacyRequests(secondDpo, query({ unverified: "show", assignee: "me" }))).requests).toHaveLength(1);
    expect((await listPrivacyRequests(dpo, query({ unverified: "show", assignee: "me" }))).requests).toHaveLength(0);
  });

  it("exports CSV with reviewer and review time, recorded as one audit event; others may not export", async () => {
    const customer = await newCustomer("SE");
    const created = await createPrivacyRequest(dpo, { type: "access", regionCode: "SE", channel: "email", customerReference: customer.reference });
    await act(dpo, created.id, verify);
    await act(dpo, created.id, { intent: "proposeRefusal", reason: "Manifestly unfounded: no account was ever held" });
    await act(secondDpo, created.id, { intent: "approveRefusal" });
    const query = PrivacyRequestListQuerySchema.parse({ q: created.reference, status: "all" });
    const { event, result } = await oneEvent("privacy_request.exported", () => exportPrivacyRequests(dpo, query));
    expect(changesOf(event)).toMatchObject({ format: "csv", filter: { q: created.reference } });
    const csv = await new Response(result).text();
    const [header, row, ...rest] = csv.trim().split("\n");
    expect(header).toContain("reviewer,reviewed_at");
    expect(rest).toEqual([]);
    expect(row).toContain(created.reference);
    expect(row).toContain(secondDpo.user.displayName);
    const forbidden = await thrownResponse(() => exportPrivacyRequests(compliance, query));
    expect(forbidden.status).toBe(403);
  });
});

describe("POST /api/v1/privacy-requests", () => {
  let seToken: string;

  beforeAll(async () => {
    ({ secret: seToken } = await createApiToken(admin, { name: "Customer portal SE", scopes: ["privacy:write"], regions: ["SE"] }));
  });

  function post(body: unknown, token = seToken) {
    const request = new Request("http://attest.test/api/v1/privacy-requests", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return apiAction({ request, params: {}, context: {} }).catch((error: unknown) => {
      if (error instanceof Response) return error;
      throw error;
    });
  }

  it("creates a request in the token's region, audited as the token", async () => {
    const customer = await newCustomer("SE");
    const before = await ledgerSize();
    const response = await post({ type: "erasure", regionCode: "SE", customerReference: customer.reference, details: "Please delete my account" });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; reference: string; dueAt: string };
    expect(body).toMatchObject({ reference: expect.stringMatching(/^PR-SE-/) });
    // An acknowledgement only: whether it matched a customer or duplicates a request is not the caller's to learn.
    expect(Object.keys(body).sort()).toEqual(["dueAt", "id", "identityState", "reference", "state"]);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["privacy_request.received"]);
    expect(events[0]).toMatchObject({ actorType: "api_token", subjectId: body.id });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: body.id } })).toMatchObject({ channel: "api", customerId: customer.id });
  });

  it("refuses another region with 403, writes nothing and records the refused call", async () => {
    const german = await newCustomer("DE");
    const before = await db.privacyRequest.count();
    const ledgerBefore = await ledgerSize();
    const response = await post({ type: "access", regionCode: "DE", customerReference: german.reference });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toContain("regionCode");
    expect(await db.privacyRequest.count()).toBe(before);
    const events = await eventsSince(ledgerBefore);
    expect(events.map((event) => event.action)).toEqual(["api.call_refused"]);
    expect(changesOf(events[0]!)).toMatchObject({ endpoint: "/api/v1/privacy-requests", status: 403, fields: ["regionCode"] });
  });

  it("names each invalid field, refuses unknown fields and bodies that are not JSON", async () => {
    const missing = await post({ regionCode: "SE" });
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as { fields: { field: string }[] };
    expect(body.fields.map((issue) => issue.field)).toEqual(["type"]);
    const noSubject = await post({ type: "access", regionCode: "SE" });
    expect(((await noSubject.json()) as { fields: { field: string }[] }).fields.map((issue) => issue.field)).toEqual(["customerReference"]);
    const contest = await post({ type: "contest", regionCode: "SE", requesterEmail: "a@b.test" });
    expect(((await contest.json()) as { error: string }).error).toMatch(/^type: /);
    expect((await post({ type: "access", regionCode: "SE", requesterEmail: "a@b.test", passport: "scan.jpg" })).status).toBe(400);
    expect((await post("{not json")).status).toBe(400);
    expect((await post({ type: "access", regionCode: "SE", requesterEmail: "not-an-email" })).status).toBe(400);
    const unknown = await post({ type: "access", regionCode: "SE", customerReference: "CUS-SE-NOPE" });
    expect(unknown.status).toBe(422);
  });

  it("needs the privacy:write scope and a known token", async () => {
    const { secret: auditToken } = await createApiToken(admin, { name: "Auditor tooling", scopes: ["audit:read"], regions: ["SE"] });
    expect((await post({ type: "access", regionCode: "SE", requesterEmail: "a@b.test" }, auditToken)).status).toBe(403);
    expect((await post({ type: "access", regionCode: "SE", requesterEmail: "a@b.test" }, "att_nope")).status).toBe(401);
  });

  it("region-scopes the list for the people reading it", async () => {
    const view = await thrownResponse(() => getPrivacyRequest(admin, ids.privacyRequests.seAccess));
    expect(view.status).toBe(403);
  });
});
