import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { decideErasureApproval, executeErasure, getErasurePage, requestErasureApproval } from "~/modules/privacy/erasure.server";
import type { ErasurePlan } from "~/modules/privacy/erasure-plan";
import { runRetentionSweep } from "~/modules/privacy/retention.server";
import { readPersonalDataForSystem } from "~/modules/customers/personal-data.server";
import { db, type Tx } from "~/utils/db.server";
import { createErasureSubject as createSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";
import { storedRequestText } from "./helpers/stored-text";
import { actorFor, requestWithSession, signInAs } from "./helpers/actors";
import { eventsSince, ledgerSize } from "./helpers/ledger";

// Issue 14: an erasure runs the first time for a customer who had no ledger key yet (proposing it
// seals the justification and so creates the key after the plan was frozen), and a debtor's erasure
// keeps the identity the debt needs — naming the legal basis and the amount owed — until the debt is
// settled or written off plus its period, then the retention sweep erases it with its data key.

const created: string[] = [];
let dpo: Actor;
let dpo2: Actor;

async function createErasureSubject(tag: string) {
  const subject = await createSubject(db, { tag, staffId: personas.dpo.id });
  created.push(subject.ids.customer);
  return subject;
}

async function proposeApproveExecute(subject: Awaited<ReturnType<typeof createErasureSubject>>) {
  const requestId = subject.ids.requests.erasure;
  await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
  await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
  return executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference });
}

const personalOf = (customerId: string) => db.$transaction((tx) => readPersonalDataForSystem(tx as unknown as Tx, customerId, "test"));

beforeAll(async () => {
  dpo = await actorFor("dpo");
  dpo2 = await requireActor(await requestWithSession(await signInAs("dpo2@attest.test")));
  await loadArtefactSigner();
});

afterAll(async () => {
  for (const customerId of created) await deleteErasureSubject(db, customerId);
});

describe("an erasure for a customer who had no ledger key yet", () => {
  it("runs the first time through propose → approve → execute, and destroys the key proposing created", async () => {
    // A customer ingested before keys were created with the customer, with nothing personal stored yet:
    // no key row at all. Proposing the erasure seals its justification under a new ledger key.
    const customerId = crypto.randomUUID();
    const requestId = crypto.randomUUID();
    const reference = `CUS-US-NOKEY-${customerId.slice(0, 6)}`;
    created.push(customerId);
    await db.customer.create({ data: { id: customerId, reference, regionCode: "US" } });
    await db.decision.create({
      data: { externalId: `ENG-US-NOKEY-${customerId.slice(0, 8)}`, customerId, kind: "credit", regionCode: "US", modelName: "credit-gbm", modelVersion: "2026.1", score: 0.2, outcome: "declined", amount: "90.00", currency: "USD", features: { age: 40 }, decidedAt: new Date(Date.now() - 4 * 365 * 86_400_000) },
    });
    await db.privacyRequest.create({
      data: { id: requestId, reference: `PR-US-NOKEY-${requestId.slice(0, 6)}`, type: "erasure", customerId, regionCode: "US", regime: "ccpa", channel: "web_form", receivedAt: new Date(), clockStartedAt: new Date(), dueAt: new Date(Date.now() + 40 * 86_400_000), identityState: "verified", identityVerifiedAt: new Date(), state: "in_progress" },
    });
    expect(await db.subjectDataKey.count({ where: { subjectId: customerId } })).toBe(0);

    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
    expect(await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: customerId } })).toMatchObject({ ledgerKey: expect.anything() });
    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
    await executeErasure(dpo2, requestId, { intent: "execute", confirmReference: reference });

    const key = await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: customerId } });
    expect(key).toMatchObject({ ledgerKey: null, ledgerKeyDestroyedAt: expect.any(Date) });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "completed" });
  });
});

describe("a debtor's erasure", () => {
  let subject: Awaited<ReturnType<typeof createErasureSubject>>;
  let plan: ErasurePlan;
  const now = new Date();

  beforeAll(async () => {
    subject = await createErasureSubject("D");
    // The approved purchase defaulted: USD 1,999 plus fees is still owed.
    await db.repaymentOutcome.create({
      data: { externalId: `REP-DEFAULT-${subject.ids.customer.slice(0, 8)}`, decisionId: subject.ids.decisions.recentApproval, status: "default_90", observedAt: new Date(now.getTime() - 86_400_000), outstandingAmount: "2148.50" },
    });
  });

  it("plans to keep the identity the debt needs, naming the legal basis and the amount outstanding", async () => {
    const page = await getErasurePage(dpo, subject.ids.requests.erasure, now);
    plan = page.plan as ErasurePlan;
    const personal = plan.categories.find((category) => category.category === "personal_data")!;
    expect(personal.eraseNow.some((item) => item.type === "requester_contact")).toBe(true);
    expect(personal.eraseNow.some((item) => item.type === "personal_data")).toBe(false);
    expect(personal.eraseNow.some((item) => item.type === "ledger_key")).toBe(true);

    const debt = plan.categories.find((category) => category.category === "debt_identity")!;
    expect(debt.kept).toHaveLength(1);
    const group = debt.kept[0]!;
    expect(group.records).toEqual([{ type: "personal_data", id: subject.ids.customer, date: null }]);
    expect(group.retainUntil).toBeNull();
    expect(group.untilDebtSettled).toMatchObject({ outstanding: { USD: "2148.50" }, thenKeep: "4y" });
    expect(group.untilDebtSettled!.debts).toEqual([expect.objectContaining({ decisionId: subject.ids.decisions.recentApproval, status: "default_90", outstandingAmount: "2148.50", currency: "USD" })]);
    expect(group.basis).toContain("Outstanding USD 2148.50");
    expect(group.basis).toMatch(/1798\.105\(d\)/);
    expect(group.basis).toMatch(/settled or written off, then 4y/);
    expect(plan.restriction.isCustomerRestricted).toBe(true);
  });

  it("executes keeping identity and its data key, restricted; erases the rest and the ledger key", async () => {
    const before = await ledgerSize();
    await proposeApproveExecute(subject);
    const executed = (await eventsSince(before)).find((event) => event.action === "privacy_request.erasure_executed")!;
    expect(executed.changes).toMatchObject({ identityKeptForDebt: { outstanding: { USD: "2148.50" } } });

    expect(await personalOf(subject.ids.customer)).toMatchObject({ fullName: subject.personal.fullName, email: subject.personal.email });
    const key = await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: subject.ids.customer } });
    expect(key.dataKeyDestroyedAt).toBeNull();
    expect(key.ledgerKeyDestroyedAt).not.toBeNull();
    expect(await db.customer.findUniqueOrThrow({ where: { id: subject.ids.customer } })).toMatchObject({ isRestricted: true });
    // The requester's copies of their contact details are not what the debt needs: gone.
    expect((await storedRequestText(subject.ids.requests.erasure)).requesterEmail).toBeNull();
    expect(await db.privacyArtefact.count({ where: { kind: "access_export", request: { customerId: subject.ids.customer } } })).toBe(0);

    const hold = await db.retainedRecord.findFirstOrThrow({ where: { customerId: subject.ids.customer, category: "debt_identity" } });
    expect(hold).toMatchObject({ retainUntil: null, untilDebtSettledKeep: "4y", restricted: true, erasedAt: null });
  });

  it("is scheduled for erasure when the debt is settled plus its period, then erased with its data key", async () => {
    // Nothing changes while the debt is outstanding, however late the sweep runs.
    await runRetentionSweep(new Date(now.getTime() + 3 * 86_400_000));
    expect(await db.retainedRecord.findFirstOrThrow({ where: { customerId: subject.ids.customer, category: "debt_identity" } })).toMatchObject({ retainUntil: null });
    expect(await personalOf(subject.ids.customer)).not.toBeNull();

    const settledAt = new Date(now.getTime() + 10 * 86_400_000);
    await db.repaymentOutcome.create({
      data: { externalId: `REP-SETTLED-${subject.ids.customer.slice(0, 8)}`, decisionId: subject.ids.decisions.recentApproval, status: "repaid", observedAt: settledAt, outstandingAmount: "0.00" },
    });
    const before = await ledgerSize();
    await runRetentionSweep(new Date(settledAt.getTime() + 86_400_000));
    const hold = await db.retainedRecord.findFirstOrThrow({ where: { customerId: subject.ids.customer, category: "debt_identity" } });
    const expectedEnd = new Date(Date.UTC(settledAt.getUTCFullYear() + 4, settledAt.getUTCMonth(), settledAt.getUTCDate() + 1));
    expect(hold).toMatchObject({ debtSettledAt: settledAt, retainUntil: expectedEnd, erasedAt: null });
    expect((await eventsSince(before)).map((event) => event.action)).toContain("retained_record.debt_settled");
    expect(await personalOf(subject.ids.customer)).not.toBeNull();

    await runRetentionSweep(new Date(expectedEnd.getTime() + 1000));
    expect(await db.retainedRecord.findUniqueOrThrow({ where: { id: hold.id } })).toMatchObject({ erasedAt: expect.any(Date) });
    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(0);
    expect(await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: subject.ids.customer } })).toMatchObject({ dataKey: null, dataKeyDestroyedAt: expect.any(Date) });
  });
});
