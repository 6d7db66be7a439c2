import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { getCustomer } from "~/modules/customers/customers.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { db } from "~/utils/db.server";
import { createErasureSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";
import { actorFor } from "./helpers/actors";
import { serialized } from "./helpers/ledger";

// Issue 13, item 6: the customer page and the decision page agree on a restricted customer (ADR 007:
// linking their decisions together is processing), and when a restriction or objection began is sent
// only to roles that read the customer's personal data.

let compliance: Actor;
let auditor: Actor;
let dpo: Actor;
let subject: Awaited<ReturnType<typeof createErasureSubject>>;
const restrictedAt = new Date("2026-10-01T08:00:00Z");
const objectedAt = new Date("2026-10-02T09:30:00Z");

beforeAll(async () => {
  compliance = await actorFor("compliance");
  auditor = await actorFor("auditor");
  dpo = await actorFor("dpo");
  subject = await createErasureSubject(db, { tag: "C", staffId: personas.dpo.id });
  await db.customer.update({ where: { id: subject.ids.customer }, data: { isRestricted: true, restrictedAt, objectedAt } });
});

afterAll(async () => {
  await deleteErasureSubject(db, subject.ids.customer);
});

describe("a restricted customer's page agrees with their decision page", () => {
  it("lists the customer's decisions to no role but the DPO, as the decision page withholds the other decisions", async () => {
    for (const actor of [compliance, auditor]) {
      const page = await getCustomer(actor, subject.ids.customer);
      const decisionPage = await getDecision(actor, subject.ids.decisions.contestedDecline);
      expect(decisionPage.otherDecisions).toEqual([]);
      expect(page.decisions ?? []).toEqual([]);
      expect(page.decisionCount).toBe(0);
      expect(page.isDecisionListWithheld).toBe(true);
    }
    const forDpo = await getCustomer(dpo, subject.ids.customer);
    expect(forDpo.isDecisionListWithheld).toBe(false);
    expect(forDpo.decisions?.length).toBeGreaterThan(0);
  });

  it("sends when the restriction and the objection began only to a role that reads personal data", async () => {
    for (const actor of [compliance, auditor]) {
      const page = await getCustomer(actor, subject.ids.customer);
      expect(page.customer).toMatchObject({ isRestricted: true, hasObjected: true, restrictedAt: null, objectedAt: null });
      const sent = serialized(page);
      expect(sent).not.toContain(restrictedAt.toISOString());
      expect(sent).not.toContain(objectedAt.toISOString());
    }
    const forDpo = await getCustomer(dpo, subject.ids.customer);
    expect(forDpo.customer).toMatchObject({ restrictedAt, objectedAt, hasObjected: true });
  });
});
