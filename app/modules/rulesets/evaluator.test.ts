import { describe, expect, it } from "vitest";
import { evaluateRules, type RuleInput } from "./evaluator";
import type { RuleSetParameters } from "./schema";

const rules: RuleSetParameters = {
  minimumAge: 18,
  maxOrderAmount: 30_000,
  creditLimit: 50_000,
  installments: 3,
  termDays: 90,
  affordabilityCheckAbove: 10_000,
  bureauCheckAbove: 2_000,
  scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
  fraudHoldAbove: 0.8,
  lateFeeCapPerEvent: 60,
  lateFeeCapPer12Months: 720,
  coolingOffDays: 14,
  prohibitedFeatures: [],
};

const credit = (overrides: Partial<RuleInput["features"]> = {}, score = 0.9): RuleInput => ({
  kind: "credit",
  score,
  amount: overrides.orderAmount ?? 1_000,
  features: { age: 30, orderAmount: 1_000, bureauScore: 700, existingExposure: 0, incomeVerified: true, identityVerified: true, ...overrides },
});

const decide = (input: RuleInput) => {
  const { outcome, rule } = evaluateRules(rules, input);
  return `${outcome} by ${rule}`;
};

describe("rule-set evaluator, exactly at each threshold", () => {
  it("lends from the minimum age, not a day before", () => {
    expect(decide(credit({ age: 18 }))).toBe("approved by score_approve");
    expect(decide(credit({ age: 17 }))).toBe("declined by minimum_age");
  });

  it("accepts an order of exactly the maximum amount, declines one cent more", () => {
    expect(decide(credit({ orderAmount: 30_000 }))).toBe("approved by score_approve");
    expect(decide(credit({ orderAmount: 30_000.01 }))).toBe("declined by max_order_amount");
  });

  it("needs a bureau file only above the bureau threshold", () => {
    expect(decide(credit({ orderAmount: 2_000, bureauScore: null }))).toBe("approved by score_approve");
    expect(decide(credit({ orderAmount: 2_000.01, bureauScore: null }))).toBe("declined by bureau_file_missing");
    expect(decide(credit({ orderAmount: 2_000.01 }))).toBe("approved by score_approve");
  });

  it("declines when existing exposure plus the order passes the credit limit, not when it meets it", () => {
    expect(decide(credit({ orderAmount: 20_000, existingExposure: 30_000 }))).toBe("approved by score_approve");
    expect(decide(credit({ orderAmount: 20_000, existingExposure: 30_000.01 }))).toBe("declined by credit_limit_exceeded");
  });

  it("refers an order above the affordability threshold without verified income", () => {
    expect(decide(credit({ orderAmount: 10_000, incomeVerified: false }))).toBe("approved by score_approve");
    expect(decide(credit({ orderAmount: 10_000.01, incomeVerified: false }))).toBe("referred by affordability_not_verified");
    expect(decide(credit({ orderAmount: 10_000.01 }))).toBe("approved by score_approve");
  });

  it("declines a failed identity check but does not penalise an engine that does not report one", () => {
    expect(decide(credit({ identityVerified: false }))).toBe("declined by identity_not_verified");
    expect(decide(credit({ identityVerified: undefined }))).toBe("approved by score_approve");
  });

  it("approves at the approve band, refers just below it, declines below the decline band", () => {
    expect(decide(credit({}, 0.6))).toBe("approved by score_approve");
    expect(decide(credit({}, 0.5999))).toBe("referred by score_refer");
    expect(decide(credit({}, 0.54))).toBe("referred by score_refer");
    expect(decide(credit({}, 0.5399))).toBe("declined by score_decline");
  });

  it("declines a requested limit above the credit limit and bands the rest", () => {
    const limit = (requestedLimit: number, score = 0.9): RuleInput => ({ kind: "limit", score, amount: requestedLimit, features: { age: 40, requestedLimit } });
    expect(decide(limit(50_000))).toBe("approved by score_approve");
    expect(decide(limit(50_000.01))).toBe("declined by requested_limit_above_credit_limit");
    expect(decide(limit(10_000, 0.55))).toBe("referred by score_refer");
  });

  it("holds a fraud check at the fraud threshold and clears one below it", () => {
    const fraud = (score: number): RuleInput => ({ kind: "fraud", score, amount: 500, features: { age: 16, orderAmount: 500 } });
    expect(decide(fraud(0.8))).toBe("fraud_hold by fraud_hold");
    expect(decide(fraud(0.7999))).toBe("approved by fraud_clear");
  });
});
