import { describe, expect, it } from "vitest";
import { markets } from "../../../prisma/seed/markets";
import { ruleBoundsFor, validateParametersForRegion } from "./bounds.server";

// Bounds per region from policies/rule-set-bounds.yaml, applied as the editor and the server apply them.

const rulesOf = (regionCode: string) => markets.find((market) => market.regionCode === regionCode)!.activeRuleSet;

function problemsOf(regionCode: string, parameters: unknown) {
  const result = validateParametersForRegion(regionCode, parameters);
  return result.success ? [] : result.issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe("rule-set parameter bounds per region", () => {
  it("accepts every region's seeded active rules", () => {
    for (const market of markets) expect(problemsOf(market.regionCode, market.activeRuleSet), market.regionCode).toEqual([]);
  });

  it("caps Swedish reminder fees at SEK 60, naming the field, the bound and the law; 60 itself is allowed", () => {
    expect(problemsOf("SE", { ...rulesOf("SE"), lateFeeCapPerEvent: 60 })).toEqual([]);
    expect(problemsOf("SE", { ...rulesOf("SE"), lateFeeCapPerEvent: 61 })).toEqual([
      "lateFeeCapPerEvent: Late fee cap per event must be at most 60 SEK in SE: reminder fees are capped at SEK 60 (lag 1981:739 om ersättning för inkassokostnader m.m.)",
    ]);
  });

  it("caps Australian fees over 12 months and keeps the default bound elsewhere", () => {
    expect(problemsOf("AU", { ...rulesOf("AU"), lateFeeCapPer12Months: 200 })).toEqual([]);
    expect(problemsOf("AU", { ...rulesOf("AU"), lateFeeCapPer12Months: 201 })[0]).toMatch(/^lateFeeCapPer12Months: .* at most 200 AUD in AU: low-cost credit contract/);
    expect(problemsOf("US", { ...rulesOf("US"), lateFeeCapPer12Months: 201 })).toEqual([]);
  });

  it("keeps the UK and EU 14-day withdrawal right and the UK deferred-payment limits", () => {
    expect(problemsOf("UK", { ...rulesOf("UK"), coolingOffDays: 13 })[0]).toMatch(/^coolingOffDays: Cooling-off period must be at least 14 days in UK: .*s\. 66A/);
    expect(problemsOf("DE", { ...rulesOf("DE"), coolingOffDays: 13 })[0]).toMatch(/at least 14 days in DE/);
    expect(problemsOf("US", { ...rulesOf("US"), coolingOffDays: 0 })).toEqual([]);
    expect(problemsOf("UK", { ...rulesOf("UK"), installments: 13 })[0]).toMatch(/^installments: .*at most 12 in UK: deferred payment credit/);
  });

  it("keeps scores within their sane range and approve above decline", () => {
    expect(problemsOf("SE", { ...rulesOf("SE"), fraudHoldAbove: 1.2 })).toEqual(["fraudHoldAbove: Fraud hold threshold must be between 0 and 1"]);
    expect(problemsOf("SE", { ...rulesOf("SE"), fraudHoldAbove: 0.45 })[0]).toMatch(/^fraudHoldAbove: Fraud hold at or above must be at least 0\.5 in SE/);
    expect(problemsOf("SE", { ...rulesOf("SE"), scoreBands: { approveAbove: 0.5, declineBelow: 0.55 } })).toEqual([
      "scoreBands.declineBelow: Decline-below must be lower than approve-above (scores in between are referred)",
    ]);
  });

  it("gives every numeric parameter a type, a unit and at least one bound in every region", () => {
    for (const market of markets) {
      const { bounds } = ruleBoundsFor(market.regionCode);
      expect(bounds.length).toBe(13);
      for (const bound of bounds) expect(bound.min !== null || bound.max !== null, `${market.regionCode} ${bound.path}`).toBe(true);
    }
  });
});
