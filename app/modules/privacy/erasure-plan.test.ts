import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicyText, policiesDir } from "~/utils/policy-file.server";
import { computeErasurePlan, keptGroupsOf, recordsToEraseNow, type SubjectRecords } from "./erasure-plan";
import { parsePeriod, retentionPolicy, RetentionPolicySchema, type RetentionPolicy } from "./retention-policy.server";

const now = new Date("2026-11-28T09:00:00Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);

function subject(overrides: Partial<SubjectRecords>): SubjectRecords {
  return {
    customerId: "c0000000-0000-4000-8000-000000000001",
    customerReference: "CUS-US-TEST",
    regionCode: "US",
    decisions: [],
    repayments: [],
    fraudOutcomes: [],
    reviews: [],
    privacyRequests: [],
    hasPersonalData: true,
    requestsWithContact: ["r1"],
    accessExports: ["a1"],
    hasLedgerKey: true,
    ...overrides,
  };
}

const plan = (records: SubjectRecords, policy: RetentionPolicy = retentionPolicy) => computeErasurePlan(records, policy, { now, policySha256: "test" });
const categoryOf = (result: ReturnType<typeof plan>, name: string) => result.categories.find((category) => category.category === name)!;

describe("the erasure plan", () => {
  it("erases a US decline from three years ago now and keeps last month's for Regulation B's 25 months", () => {
    const result = plan(
      subject({
        decisions: [
          { id: "old", kind: "credit", decidedAt: daysAgo(3 * 365) },
          { id: "recent", kind: "credit", decidedAt: new Date("2026-10-28T15:30:00Z") },
        ],
      }),
    );
    const credit = categoryOf(result, "credit_decisions");
    expect(credit.eraseNow.map((record) => record.id)).toEqual(["old"]);
    expect(credit.kept).toHaveLength(1);
    // 25 months after 2026-10-28 is 2028-11-28; erased on the next UTC midnight.
    expect(credit.kept[0]).toMatchObject({ retainUntil: "2028-11-29T00:00:00.000Z", records: [{ id: "recent" }] });
    expect(credit.kept[0]!.basis).toContain("12 CFR 1002.12");
    expect(result.restriction).toMatchObject({ isCustomerRestricted: true, keptRecords: 1 });
  });

  it("always erases identity, requester contact details and access exports and destroys the ledger key", () => {
    const personal = categoryOf(plan(subject({})), "personal_data");
    expect(personal.eraseNow.map((record) => record.type).sort()).toEqual(["access_export", "ledger_key", "personal_data", "requester_contact"]);
    expect(personal.kept).toEqual([]);
  });

  it("counts AML records from the end of the relationship, not from the record", () => {
    const result = plan(
      subject({
        decisions: [
          { id: "fraud-hold", kind: "fraud", decidedAt: daysAgo(4 * 365) },
          { id: "last", kind: "credit", decidedAt: new Date("2026-11-01T10:00:00Z") },
        ],
        fraudOutcomes: [{ id: "chargeback", decisionId: "fraud-hold", reportedAt: daysAgo(4 * 365 - 10) }],
      }),
    );
    const aml = categoryOf(result, "fraud_aml_records");
    expect(aml.eraseNow).toEqual([]);
    // Relationship ended with the last decision (2026-11-01): five years later, next midnight.
    expect(aml.kept).toEqual([expect.objectContaining({ retainUntil: "2031-11-02T00:00:00.000Z" })]);
    expect(aml.kept[0]!.records.map((record) => record.id).sort()).toEqual(["chargeback", "fraud-hold"]);
  });

  it("keeps a decision as long as a record pointing at it must be kept", () => {
    const result = plan(
      subject({
        decisions: [{ id: "old", kind: "credit", decidedAt: daysAgo(3 * 365) }],
        repayments: [{ id: "installment", decisionId: "old", observedAt: daysAgo(3 * 365 - 60) }],
      }),
    );
    const credit = categoryOf(result, "credit_decisions");
    expect(credit.eraseNow).toEqual([]);
    expect(credit.kept[0]!.basis).toMatch(/^Kept while its repayment records are kept: FCRA/);
    expect(credit.kept[0]!.retainUntil).toBe(categoryOf(result, "repayment_records").kept[0]!.retainUntil);
  });

  it("applies the EU AI Act's six-month floor to decision logs when the decision's own period is shorter", () => {
    const policy = structuredClone(retentionPolicy);
    policy.categories.credit_decisions!.retention.DE = { keep: "0d", period: parsePeriod("0d")!, basis: "test: nothing to keep" };
    const result = plan(
      subject({
        regionCode: "DE",
        decisions: [
          { id: "two-months", kind: "credit", decidedAt: daysAgo(60) },
          { id: "eight-months", kind: "credit", decidedAt: daysAgo(240) },
        ],
      }),
      policy,
    );
    expect(categoryOf(result, "credit_decisions").eraseNow.map((record) => record.id)).toEqual(["eight-months"]);
    const logs = categoryOf(result, "ai_system_logs");
    expect(logs.kept.map((group) => group.records.map((record) => record.id))).toEqual([["two-months"]]);
    expect(logs.kept[0]!.basis).toContain("Art. 19(1)");
  });

  it("lists every record once, erased or kept, and the fingerprint changes when a disposition does", () => {
    const records = subject({
      decisions: [
        { id: "a", kind: "credit", decidedAt: daysAgo(1000) },
        { id: "b", kind: "limit", decidedAt: daysAgo(20) },
      ],
      reviews: [{ id: "review", decisionId: "b", openedAt: daysAgo(19), closedAt: daysAgo(18) }],
      privacyRequests: [{ id: "old-access", receivedAt: daysAgo(900), completedAt: daysAgo(880) }],
    });
    const first = plan(records);
    const ids = [...recordsToEraseNow(first).map((record) => record.id), ...keptGroupsOf(first).flatMap((group) => group.records.map((record) => record.id))];
    expect(ids.sort()).toEqual(["a", "b", "old-access", "review"]);
    const later = computeErasurePlan(records, retentionPolicy, { now: new Date(now.getTime() + 3 * 365 * 86_400_000), policySha256: "test" });
    expect(later.fingerprint).not.toBe(first.fingerprint);
    expect(plan(records).fingerprint).toBe(first.fingerprint);
  });
});

describe("policies/retention.yaml", () => {
  const text = fs.readFileSync(path.join(policiesDir, "retention.yaml"), "utf8");
  const parse = (changed: string) => () => parsePolicyText("policies/retention.yaml", changed, RetentionPolicySchema);

  it("covers every category and region", () => {
    expect(Object.keys(retentionPolicy.categories).sort()).toEqual(
      ["ai_system_logs", "credit_decisions", "debt_identity", "fraud_aml_records", "personal_data", "privacy_request_records", "repayment_records", "reviews_and_contests"].sort(),
    );
    for (const category of Object.values(retentionPolicy.categories)) expect(Object.keys(category.retention).sort()).toEqual(["AU", "DE", "NL", "SE", "UK", "US"]);
  });

  it("refuses a region left out, naming the category and line", () => {
    const withoutAu = text.replace(/\n {6}AU: \{ keep: 7y, basis: "National Consumer Credit Protection Act 2009 \(Cth\) and ASIC RG 209[^\n]*/, "");
    expect(withoutAu).not.toBe(text);
    expect(parse(withoutAu)).toThrow(/line \d+: categories\.credit_decisions\.retention: region AU/);
  });

  it("refuses a period it cannot read and personal data kept after erasure", () => {
    expect(parse(text.replace("keep: 25m, basis: \"ECOA", "keep: 25 months, basis: \"ECOA"))).toThrow(/credit_decisions\.retention\.US\.keep: a period such as/);
    expect(parse(text.replace(/(personal_data:[\s\S]*?SE: \{ keep: )0d/, "$11y"))).toThrow(/personal_data is never kept on erasure/);
  });

  it("refuses an unknown category", () => {
    expect(parse(text.replace("  ai_system_logs:", "  marketing_profiles:"))).toThrow(/unknown category marketing_profiles[\s\S]*category ai_system_logs is missing|category ai_system_logs is missing[\s\S]*unknown category marketing_profiles/);
  });
});
