import { describe, expect, it } from "vitest";
import { RuleSetParametersSchema, type RuleSetParameters } from "./schema";

const swedishRules: RuleSetParameters = {
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
  prohibitedFeatures: ["gender", "ethnicity"],
};

function problemsOf(parameters: unknown) {
  const result = RuleSetParametersSchema.safeParse(parameters);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("rule-set parameters", () => {
  it("accepts a complete, coherent rule set", () => {
    expect(problemsOf(swedishRules)).toEqual([]);
  });

  it("refuses bands that leave no room to refer, naming the field", () => {
    expect(problemsOf({ ...swedishRules, scoreBands: { approveAbove: 0.5, declineBelow: 0.5 } })).toEqual([
      "scoreBands.declineBelow: Decline-below must be lower than approve-above (scores in between are referred)",
    ]);
  });

  it("refuses a maximum order above the credit limit and a per-event fee above the yearly cap", () => {
    expect(problemsOf({ ...swedishRules, maxOrderAmount: 60_000, lateFeeCapPerEvent: 800 })).toEqual([
      "maxOrderAmount: Maximum order amount cannot exceed the credit limit",
      "lateFeeCapPerEvent: Late fee cap per event cannot exceed the cap per 12 months",
    ]);
  });

  it("refuses lending below 18, unknown parameters and duplicate prohibited features", () => {
    expect(problemsOf({ ...swedishRules, minimumAge: 16 })).toEqual(["minimumAge: Minimum age cannot be below 18"]);
    expect(problemsOf({ ...swedishRules, maxTermMonths: 12 })[0]).toMatch(/Unrecognized key/);
    expect(problemsOf({ ...swedishRules, prohibitedFeatures: ["gender", "gender"] })).toEqual([
      "prohibitedFeatures: Each prohibited feature is listed once",
    ]);
  });
});
