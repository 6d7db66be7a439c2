import { describe, expect, it } from "vitest";
import type { Role } from "~/generated/prisma/enums";
import { canReadPersonalData, defineAbilityFor, maskPersonalData, readableFields, subjectOf, type AbilityActor } from "./ability.server";
import { actions, capabilitySubjects, modelSubjects, roles, type Action, type SubjectName } from "./policy.server";

// What each role may do with real records (policies/access.yaml compiled by defineAbilityFor).
// Asserted through ability.can on instances, as a route or module asks it, never on the rule arrays.

const allRegions = ["AU", "DE", "NL", "SE", "UK", "US"];

const actorsByName = {
  compliance: { id: "11111111-1111-4111-8111-111111111111", role: "compliance_officer", regions: allRegions },
  opsSe: { id: "22222222-2222-4222-8222-222222222222", role: "regional_ops_manager", regions: ["SE"] },
  fraud: { id: "33333333-3333-4333-8333-333333333333", role: "fraud_analyst", regions: ["DE", "NL", "SE"] },
  dpo: { id: "44444444-4444-4444-8444-444444444444", role: "dpo", regions: allRegions },
  auditor: { id: "55555555-5555-4555-8555-555555555555", role: "auditor", regions: allRegions },
  admin: { id: "66666666-6666-4666-8666-666666666666", role: "admin", regions: allRegions },
} satisfies Record<string, AbilityActor>;

const abilityOf = (name: keyof typeof actorsByName) => defineAbilityFor(actorsByName[name]);

function decision(regionCode: string, outcome = "declined") {
  return subjectOf("Decision", {
    id: `dec-${regionCode}`,
    externalId: `ENG-${regionCode}-0001`,
    customerId: `cus-${regionCode}`,
    kind: outcome === "fraud_hold" ? "fraud" : "credit",
    regionCode,
    outcome,
    score: 0.31,
    amount: "249.00",
    currency: regionCode === "SE" ? "SEK" : "EUR",
  }) as never;
}

function review(regionCode: string, trigger: string) {
  return subjectOf("Review", { id: `rev-${regionCode}-${trigger}`, decisionId: `dec-${regionCode}`, regionCode, trigger, status: "open" }) as never;
}

const customerRow = { id: "cus-DE", reference: "CUS-DE-0001", regionCode: "DE", createdAt: new Date("2026-01-02"), isRestricted: false, erasedAt: null };
const personalData = {
  fullName: "Greta Baumann",
  email: "greta.baumann@example.de",
  phone: "+49 30 1234567",
  dateOfBirth: "1988-04-12",
  street: "Lindenstraße 4",
  postalCode: "10969",
  city: "Berlin",
  country: "DE",
};

describe("region scoping on single records", () => {
  it("lets the Swedish ops manager read and export an SE decision but not a DE one", () => {
    const ability = abilityOf("opsSe");
    expect(ability.can("read", decision("SE"))).toBe(true);
    expect(ability.can("export", decision("SE"))).toBe(true);
    expect(ability.can("read", decision("DE"))).toBe(false);
    expect(ability.can("export", decision("DE"))).toBe(false);
  });

  it("keeps the ops manager's rule-set work in their own region", () => {
    const ability = abilityOf("opsSe");
    const seDraft = subjectOf("RuleSetVersion", { id: "rsv-se", regionCode: "SE", state: "draft" }) as never;
    const deDraft = subjectOf("RuleSetVersion", { id: "rsv-de", regionCode: "DE", state: "draft" }) as never;
    for (const action of ["read", "create", "update", "submit", "backtest"] as const) {
      expect(ability.can(action, seDraft), `${action} SE`).toBe(true);
      expect(ability.can(action, deDraft), `${action} DE`).toBe(false);
    }
    // Segregation of duties: the author's role never approves its own rule-set changes.
    expect(ability.can("approve", seDraft)).toBe(false);
    expect(abilityOf("compliance").can("approve", seDraft)).toBe(true);
  });

  it("lets the fraud analyst claim and decide a DE fraud hold but not a DE referral, nor a UK fraud hold", () => {
    const ability = abilityOf("fraud");
    expect(ability.can("claim", review("DE", "fraud_hold"))).toBe(true);
    expect(ability.can("decide", review("DE", "fraud_hold"))).toBe(true);
    expect(ability.can("claim", review("DE", "referral"))).toBe(false);
    expect(ability.can("decide", review("DE", "referral"))).toBe(false);
    // Reading the referral is fine (context for the fraud case); working it is not.
    expect(ability.can("read", review("DE", "referral"))).toBe(true);
    expect(ability.can("claim", review("UK", "fraud_hold"))).toBe(false);
    expect(ability.can("read", review("UK", "fraud_hold"))).toBe(false);
  });

  it("lets the fraud analyst record a fraud outcome only on a decision in their regions", () => {
    const ability = abilityOf("fraud");
    const onNl = subjectOf("FraudOutcome", { id: "fo-1", decisionId: "dec-NL", decision: { regionCode: "NL" } }) as never;
    const onUs = subjectOf("FraudOutcome", { id: "fo-2", decisionId: "dec-US", decision: { regionCode: "US" } }) as never;
    expect(ability.can("create", onNl)).toBe(true);
    expect(ability.can("create", onUs)).toBe(false);
  });

  it("gives a staff member with no regions no customer-facing records at all", () => {
    const ability = defineAbilityFor({ id: actorsByName.auditor.id, role: "auditor", regions: [] });
    for (const region of allRegions) {
      expect(ability.can("read", decision(region))).toBe(false);
      expect(ability.can("read", subjectOf("Customer", { ...customerRow, regionCode: region }) as never)).toBe(false);
    }
  });

  it("lets only the DPO act on privacy requests, and only in their regions", () => {
    const erasureSe = subjectOf("PrivacyRequest", { id: "pr-se", type: "erasure", regionCode: "SE", state: "awaiting_approval" }) as never;
    const dpoSeOnly = defineAbilityFor({ id: actorsByName.dpo.id, role: "dpo", regions: ["SE"] });
    expect(dpoSeOnly.can("approve", erasureSe)).toBe(true);
    expect(dpoSeOnly.can("erase", erasureSe)).toBe(true);
    const erasureDe = subjectOf("PrivacyRequest", { id: "pr-de", type: "erasure", regionCode: "DE", state: "awaiting_approval" }) as never;
    expect(dpoSeOnly.can("approve", erasureDe)).toBe(false);
    for (const name of ["compliance", "opsSe", "fraud", "auditor", "admin"] as const) {
      expect(abilityOf(name).can("approve", erasureSe), name).toBe(false);
      expect(abilityOf(name).can("erase", erasureSe), name).toBe(false);
    }
  });

  it("shows each role only the audit events in its remit", () => {
    const event = (fields: Record<string, unknown>) => subjectOf("AuditEvent", { seq: 1, action: "x", actorId: "someone-else", ...fields }) as never;
    const deDecisionEvent = event({ subjectType: "Decision", regionCode: "DE" });
    const seDecisionEvent = event({ subjectType: "Decision", regionCode: "SE" });
    const staffEvent = event({ subjectType: "StaffUser", regionCode: null });
    const customerEvent = event({ subjectType: "Customer", regionCode: "DE" });

    expect(abilityOf("opsSe").can("read", seDecisionEvent)).toBe(true);
    expect(abilityOf("opsSe").can("read", deDecisionEvent)).toBe(false);
    expect(abilityOf("opsSe").can("read", event({ subjectType: "StaffUser", actorId: actorsByName.opsSe.id }))).toBe(true);

    expect(abilityOf("admin").can("read", staffEvent)).toBe(true);
    expect(abilityOf("admin").can("read", customerEvent)).toBe(false);

    expect(abilityOf("dpo").can("read", customerEvent)).toBe(true);
    expect(abilityOf("dpo").can("read", staffEvent)).toBe(false);

    expect(abilityOf("auditor").can("read", deDecisionEvent)).toBe(true);
    expect(abilityOf("auditor").can("export", staffEvent)).toBe(true);
  });

  it("lets an auditor open only the evidence packs they requested", () => {
    const ability = abilityOf("auditor");
    const own = subjectOf("EvidencePack", { id: "ep-1", requestedById: actorsByName.auditor.id }) as never;
    const other = subjectOf("EvidencePack", { id: "ep-2", requestedById: actorsByName.compliance.id }) as never;
    expect(ability.can("read", own)).toBe(true);
    expect(ability.can("read", other)).toBe(false);
  });
});

describe("the auditor changes nothing", () => {
  it("is granted exactly read, export, verify and creating their own evidence packs", () => {
    const ability = abilityOf("auditor");
    const granted: string[] = [];
    for (const subject of [...modelSubjects, ...capabilitySubjects] as SubjectName[]) {
      for (const action of actions) {
        if (ability.can(action, subject as never)) granted.push(`${action} ${subject}`);
      }
    }
    expect(granted.sort()).toEqual(
      [
        "read AuditEvent",
        "export AuditEvent",
        "read Customer",
        "read Dashboard",
        "read Decision",
        "read EvidencePack",
        "create EvidencePack",
        "verify Ledger",
        "read PrivacyRequest",
        "read Review",
        "read RuleSetVersion",
      ].sort(),
    );
  });

  it("cannot update, decide, approve or erase any real record", () => {
    const ability = abilityOf("auditor");
    const records = [
      decision("SE"),
      review("DE", "referral"),
      subjectOf("Customer", customerRow),
      subjectOf("PrivacyRequest", { id: "pr", regionCode: "DE", type: "erasure" }),
      subjectOf("RuleSetVersion", { id: "rsv", regionCode: "DE", state: "submitted" }),
      subjectOf("StaffUser", { id: actorsByName.auditor.id }),
    ] as never[];
    const mutations: Action[] = actions.filter((action) => !["read", "export", "verify"].includes(action));
    for (const record of records) {
      for (const action of mutations) expect(ability.can(action, record), `${action} ${JSON.stringify(record)}`).toBe(false);
    }
  });
});

describe("personal data is masked on the server", () => {
  it("masks every personal field for the auditor and keeps the pseudonymous ones", () => {
    const { data, isMasked } = maskPersonalData(abilityOf("auditor"), customerRow, personalData);
    expect(isMasked).toBe(true);
    for (const field of ["fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city"] as const) {
      expect(data[field], field).not.toBe(personalData[field]);
      expect(JSON.stringify(data)).not.toContain(personalData[field]);
    }
    // Country is not personal data on its own, so it stays readable.
    expect(data.country).toBe("DE");
    expect(canReadPersonalData(abilityOf("auditor"), customerRow)).toBe(false);
  });

  it("shows the DPO the personal data of a customer in their regions", () => {
    const { data, isMasked } = maskPersonalData(abilityOf("dpo"), customerRow, personalData);
    expect(isMasked).toBe(false);
    expect(data).toEqual(personalData);
    expect(canReadPersonalData(abilityOf("dpo"), customerRow)).toBe(true);
  });

  it("masks a customer outside the DPO's regions", () => {
    const dpoSeOnly = defineAbilityFor({ id: actorsByName.dpo.id, role: "dpo", regions: ["SE"] });
    const { data, isMasked } = maskPersonalData(dpoSeOnly, customerRow, personalData);
    expect(isMasked).toBe(true);
    expect(data.email).not.toBe(personalData.email);
  });

  it("masks personal data for every role that reads customers without a field grant", () => {
    for (const name of ["compliance", "opsSe", "fraud", "auditor"] as const) {
      const row = name === "opsSe" ? { ...customerRow, regionCode: "SE" } : customerRow;
      expect(maskPersonalData(abilityOf(name), row, personalData).isMasked, name).toBe(true);
      expect(abilityOf(name).can("read", subjectOf("Customer", row) as never, "reference"), name).toBe(true);
    }
  });

  it("lists the readable Customer fields of the auditor without any personal field", () => {
    const all = ["id", "reference", "regionCode", "createdAt", "isRestricted", "erasedAt", "fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city"];
    const fields = readableFields(abilityOf("auditor"), "Customer", all);
    expect(fields.sort()).toEqual(["createdAt", "erasedAt", "id", "isRestricted", "reference", "regionCode"]);
    expect(readableFields(abilityOf("dpo"), "Customer", all).sort()).toEqual([...all].sort());
  });
});

describe("the administrator", () => {
  it("sees no decisions, customers, reviews or privacy requests", () => {
    const ability = abilityOf("admin");
    expect(ability.can("read", decision("SE"))).toBe(false);
    expect(ability.can("read", subjectOf("Customer", customerRow) as never)).toBe(false);
    expect(ability.can("read", "Customer", "email")).toBe(false);
    expect(ability.can("read", review("SE", "referral"))).toBe(false);
    expect(ability.can("read", subjectOf("PrivacyRequest", { id: "pr", regionCode: "SE" }) as never)).toBe(false);
  });

  it("manages other staff accounts but cannot deactivate or edit their own", () => {
    const ability = abilityOf("admin");
    const self = subjectOf("StaffUser", { id: actorsByName.admin.id }) as never;
    const colleague = subjectOf("StaffUser", { id: actorsByName.auditor.id }) as never;
    expect(ability.can("deactivate", colleague)).toBe(true);
    expect(ability.can("update", colleague)).toBe(true);
    expect(ability.can("resetMfa", colleague)).toBe(true);
    expect(ability.can("deactivate", self)).toBe(false);
    expect(ability.can("update", self)).toBe(false);
    expect(ability.can("read", self)).toBe(true);
  });

  it("is the only role that may manage staff accounts", () => {
    const colleague = subjectOf("StaffUser", { id: "77777777-7777-4777-8777-777777777777" }) as never;
    for (const name of ["compliance", "opsSe", "fraud", "dpo", "auditor"] as const) {
      for (const action of ["read", "create", "update", "deactivate", "resetMfa"] as const) {
        expect(abilityOf(name).can(action, colleague), `${name} ${action}`).toBe(false);
      }
    }
  });
});

describe("deny by default", () => {
  it("gives no role manage or all, not even admin", () => {
    for (const role of roles) {
      const ability = defineAbilityFor({ id: "88888888-8888-4888-8888-888888888888", role: role as Role, regions: allRegions });
      expect(ability.can("manage" as never, "all" as never), role).toBe(false);
      expect(ability.rules.some((rule) => ([rule.action].flat() as string[]).includes("manage")), role).toBe(false);
      expect(ability.rules.some((rule) => ([rule.subject].flat() as string[]).includes("all")), role).toBe(false);
    }
  });

  it("refuses an action the policy never names, for every role and record", () => {
    for (const role of roles) {
      const ability = defineAbilityFor({ id: "88888888-8888-4888-8888-888888888888", role: role as Role, regions: allRegions });
      expect(ability.can("delete" as never, decision("SE")), role).toBe(false);
      expect(ability.can("delete" as never, "StaffUser" as never), role).toBe(false);
      expect(ability.can("read", "Unicorn" as never), role).toBe(false);
    }
  });

  it("never lets anyone but a reviewer decide a review", () => {
    const referral = review("SE", "referral");
    const deciders = roles.filter((role) =>
      defineAbilityFor({ id: "88888888-8888-4888-8888-888888888888", role: role as Role, regions: allRegions }).can("decide", referral),
    );
    expect(deciders.sort()).toEqual(["compliance_officer", "regional_ops_manager"]);
  });
});
