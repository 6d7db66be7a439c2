import { beforeAll, describe, expect, it } from "vitest";
import { accessibleWhere } from "~/modules/access/ability.server";
import type { Actor } from "~/modules/access/actor.server";
import { loadHome } from "~/modules/home/home.server";
import { db } from "~/utils/db.server";
import { fixtureIds as ids, germanCustomer } from "../fixtures/ids";
import type { PersonaName } from "../fixtures/staff";
import { actorFor } from "./helpers/actors";

// Region scoping holds in the database query itself (accessibleBy), not just in the UI: a viewer's
// list never contains a row from outside their regions, and personal data leaves the server masked
// unless a rule grants it (DESIGN.md §5).

const actors = {} as Record<PersonaName, Actor>;

beforeAll(async () => {
  for (const name of ["compliance", "opsSe", "fraud", "dpo", "auditor", "admin"] as const) actors[name] = await actorFor(name);
});

async function regionsOf(rows: { regionCode: string }[]) {
  return [...new Set(rows.map((row) => row.regionCode))].sort();
}

describe("decision lists", () => {
  it("give the Swedish ops manager the SE decisions and nothing else", async () => {
    const rows = await db.decision.findMany({ where: accessibleWhere(actors.opsSe.ability, "read", "Decision"), select: { id: true, regionCode: true } });
    // Other suites ingest Swedish decisions into the same database: compare with every SE row there is.
    const swedish = await db.decision.findMany({ where: { regionCode: "SE" }, select: { id: true } });
    expect(rows.map((row) => row.id).sort()).toEqual(swedish.map((row) => row.id).sort());
    expect(rows.map((row) => row.id)).toEqual(expect.arrayContaining([ids.decisions.seApproved, ids.decisions.seDeclined]));
  });

  it("give the fraud analyst SE, DE and NL but not UK or US", async () => {
    const rows = await db.decision.findMany({ where: accessibleWhere(actors.fraud.ability, "read", "Decision"), select: { id: true, regionCode: true } });
    expect(await regionsOf(rows)).toEqual(["DE", "NL", "SE"]);
    expect(rows.map((row) => row.id)).not.toContain(ids.decisions.ukDeclined);
  });

  it("give the compliance officer every region", async () => {
    const rows = await db.decision.findMany({ where: accessibleWhere(actors.compliance.ability, "read", "Decision"), select: { regionCode: true } });
    expect(await regionsOf(rows)).toEqual(["DE", "NL", "SE", "UK", "US"]);
  });

  it("refuse the administrator outright rather than return an empty list", () => {
    expect(actors.admin.ability.can("read", "Decision")).toBe(false);
    expect(() => accessibleWhere(actors.admin.ability, "read", "Decision")).toThrow(/read/);
  });

  it("also narrow the explorer's own query (listDecisions) to the viewer's regions", async () => {
    const { listDecisions } = await import("~/modules/decisions/decisions.server");
    const { parseListQuery } = await import("~/components/data-table/url-state");
    const { DecisionListQuerySchema } = await import("~/modules/decisions/schema");
    const query = parseListQuery(DecisionListQuerySchema, new Request("http://attest.test/decisions"));
    const page = await listDecisions(actors.opsSe, query);
    expect(page.decisions.map((row) => row.externalId)).toEqual(expect.arrayContaining(["ENG-SE-000001", "ENG-SE-000002"]));
    expect(await regionsOf(page.decisions)).toEqual(["SE"]);
  });
});

describe("customer lists", () => {
  it("give the Swedish ops manager only the SE customer", async () => {
    const rows = await db.customer.findMany({ where: accessibleWhere(actors.opsSe.ability, "read", "Customer"), select: { id: true, regionCode: true } });
    const swedish = await db.customer.findMany({ where: { regionCode: "SE" }, select: { id: true } });
    expect(rows.map((row) => row.id).sort()).toEqual(swedish.map((row) => row.id).sort());
    expect(rows.map((row) => row.id)).toContain(ids.customers.SE);
  });

  it("give the fraud analyst the customers of SE, DE and NL", async () => {
    const rows = await db.customer.findMany({ where: accessibleWhere(actors.fraud.ability, "read", "Customer"), select: { regionCode: true } });
    expect(await regionsOf(rows)).toEqual(["DE", "NL", "SE"]);
  });
});

describe("review queues", () => {
  it("show the fraud analyst the reviews of their regions but let them claim only fraud holds", async () => {
    const readable = await db.review.findMany({ where: accessibleWhere(actors.fraud.ability, "read", "Review"), select: { id: true } });
    expect(readable.map((row) => row.id).sort()).toEqual([ids.reviews.seReferral, ids.reviews.deReferral, ids.reviews.deFraudHold, ids.reviews.nlFraudHold].sort());
    const claimable = await db.review.findMany({ where: accessibleWhere(actors.fraud.ability, "claim", "Review"), select: { id: true, trigger: true } });
    expect(claimable.map((row) => row.id).sort()).toEqual([ids.reviews.deFraudHold, ids.reviews.nlFraudHold].sort());
  });

  it("show the Swedish ops manager only the SE review", async () => {
    const rows = await db.review.findMany({ where: accessibleWhere(actors.opsSe.ability, "claim", "Review"), select: { id: true } });
    expect(rows.map((row) => row.id)).toEqual([ids.reviews.seReferral]);
  });

  it("count on each home page only the reviews its viewer may open", async () => {
    const waiting = async (name: PersonaName) => (await loadHome(actors[name])).reviews?.waiting ?? null;
    expect(await waiting("compliance")).toBe(5);
    expect(await waiting("fraud")).toBe(4);
    expect(await waiting("opsSe")).toBe(1);
    expect(await waiting("admin")).toBeNull();
  });

  it("narrow further to the region filter chosen in the top bar, never widen", async () => {
    const home = await loadHome({ ...actors.fraud, regionFilter: ["NL"] });
    expect(home.reviews?.waiting).toBe(1);
  });
});

describe("privacy request lists", () => {
  it("give a DPO limited to SE only the SE request", async () => {
    const { defineAbilityFor } = await import("~/modules/access/ability.server");
    const ability = defineAbilityFor({ ...actors.dpo.user, regions: ["SE"] });
    const rows = await db.privacyRequest.findMany({ where: accessibleWhere(ability, "read", "PrivacyRequest"), select: { id: true } });
    expect(rows.map((row) => row.id)).toEqual([ids.privacyRequests.seAccess]);
  });

  it("give the compliance officer and auditor every request, and the ops manager and fraud analyst none", async () => {
    for (const name of ["compliance", "auditor"] as const) {
      const rows = await db.privacyRequest.findMany({ where: accessibleWhere(actors[name].ability, "read", "PrivacyRequest"), select: { id: true } });
      expect(rows.length, name).toBe(3);
    }
    for (const name of ["opsSe", "fraud", "admin"] as const) expect(actors[name].ability.can("read", "PrivacyRequest"), name).toBe(false);
  });
});

describe("personal data leaves the server masked", () => {
  /** The German customer's personal data as the customers module hands it to `actor` (ADR 009). */
  async function germanCustomerFor(actor: Actor) {
    const { readPersonalData } = await import("~/modules/customers/personal-data.server");
    const view = (await db.$transaction((tx) => readPersonalData(tx, [ids.customers.DE], { actor, purpose: "test" }))).get(ids.customers.DE);
    if (view?.status !== "shown") throw new Error(`expected the personal data row, got ${view?.status}`);
    return view;
  }

  it("masks the German customer's name, email and address for the auditor: neither plain text nor ciphertext is read", async () => {
    const view = await germanCustomerFor(actors.auditor);
    expect(view.maskedFields).toEqual(["fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city"]);
    expect(view.data).toEqual({});
    const payload = JSON.stringify(view);
    for (const value of [germanCustomer.fullName, germanCustomer.email, germanCustomer.phone, germanCustomer.street, germanCustomer.city]) {
      expect(payload).not.toContain(value);
    }
  });

  it("shows the DPO the same customer unmasked", async () => {
    const view = await germanCustomerFor(actors.dpo);
    expect(view.maskedFields).toEqual([]);
    expect(view.data.fullName).toBe(germanCustomer.fullName);
    expect(view.data.email).toBe(germanCustomer.email);
  });

  it("records every unmasked read on the customer page, and only those", async () => {
    const { getCustomer } = await import("~/modules/customers/customers.server");
    const { eventsSince, ledgerSize } = await import("./helpers/ledger");

    const beforeAuditor = await ledgerSize();
    const masked = await getCustomer(actors.auditor, ids.customers.DE);
    expect(JSON.stringify(masked)).not.toContain(germanCustomer.email);
    expect(await ledgerSize()).toBe(beforeAuditor);

    const beforeDpo = await ledgerSize();
    const unmasked = await getCustomer(actors.dpo, ids.customers.DE);
    expect(JSON.stringify(unmasked)).toContain(germanCustomer.email);
    const [event, ...others] = await eventsSince(beforeDpo);
    expect(others).toEqual([]);
    expect(event).toMatchObject({ action: "customer.personal_data_read", actorId: actors.dpo.user.id, subjectType: "Customer", subjectId: ids.customers.DE, regionCode: "DE" });
  });

  it("does not let the fraud analyst see the personal data of a customer in their own region", async () => {
    expect(actors.fraud.ability.can("read", "Customer")).toBe(true);
    expect((await germanCustomerFor(actors.fraud)).data.email).toBeUndefined();
  });
});
