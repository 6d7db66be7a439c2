import { describe, expect, it } from "vitest";
import { discrimination, fairnessByGroup, monthsBetween, populationStabilityIndex, psiBand, vintageCurve } from "./metrics";

// Hand-computed values on small fixtures (docs/metrics.md has the formulas).

describe("populationStabilityIndex", () => {
  const uniform = Array.from({ length: 10 }, () => 10);

  it("is zero for the same distribution and uses one group per baseline decile", () => {
    const result = populationStabilityIndex(uniform, uniform)!;
    expect(result.psi).toBe(0);
    expect(result.bins).toHaveLength(10);
    expect(result.band).toBe("green");
  });

  it("replaces an empty current bin's share by 0.0001 and sums (c − b)·ln(c/b)", () => {
    const current = [20, 10, 10, 10, 10, 10, 10, 10, 10, 0];
    const expected = 0.1 * Math.log(2) + (0.0001 - 0.1) * Math.log(0.0001 / 0.1);
    const result = populationStabilityIndex(uniform, current)!;
    expect(result.psi).toBeCloseTo(expected, 10);
    expect(result.psi).toBeCloseTo(0.759399, 5);
    expect(result.band).toBe("red");
  });

  it("keeps a tied grid bin whole: baseline [50, 0, 50] gives two groups", () => {
    const result = populationStabilityIndex([50, 0, 50], [25, 25, 50])!;
    expect(result.bins.map((bin) => [bin.fromBin, bin.toBin])).toEqual([[0, 0], [1, 2]]);
    expect(result.psi).toBeCloseTo((0.25 - 0.5) * Math.log(0.5) + 0.25 * Math.log(1.5), 10);
  });

  it("has no value when either side is empty", () => {
    expect(populationStabilityIndex([0, 0], [1, 2])).toBeNull();
    expect(populationStabilityIndex([1, 2], [])).toBeNull();
  });

  it("bands at 0.10 and 0.25", () => {
    expect([0.0999, 0.1, 0.2499, 0.25].map(psiBand)).toEqual(["green", "amber", "amber", "red"]);
  });
});

describe("discrimination (AUC, Gini, KS, DeLong interval)", () => {
  it("counts ties as one half", () => {
    // goods in bins 1 and 2, bads in bins 0 and 1: pairs 1 + ½ + 1 + 1 of 4.
    const result = discrimination([0, 1, 1], [1, 1, 0])!;
    expect(result.auc).toBeCloseTo(0.875, 12);
    expect(result.gini).toBeCloseTo(0.75, 12);
    expect(result.ks).toBeCloseTo(0.5, 12);
    expect(result.ksBin).toBe(0);
    // Placements: goods 0.75 and 1, bads 1 and 0.75 → S10 = S01 = 0.03125, Var = 0.03125.
    const se = Math.sqrt(0.03125);
    expect(result.aucInterval!.low).toBeCloseTo(0.875 - 1.959963984540054 * se, 10);
    expect(result.aucInterval!.high).toBe(1);
  });

  it("is 1 for perfect separation and 0.5 when every score ties", () => {
    expect(discrimination([0, 5], [5, 0])).toMatchObject({ auc: 1, gini: 1, ks: 1 });
    const tied = discrimination([0, 4, 0], [0, 6, 0])!;
    expect(tied.auc).toBe(0.5);
    expect(tied.gini).toBe(0);
    expect(tied.ks).toBe(0);
  });

  it("has no value for a single-class population and no interval below two of a class", () => {
    expect(discrimination([3, 4], [0, 0])).toBeNull();
    expect(discrimination([0, 0], [1, 1])).toBeNull();
    expect(discrimination([0, 3], [1, 0])!.aucInterval).toBeNull();
  });
});

describe("fairnessByGroup", () => {
  it("takes the most-favoured group as reference and flags ratios under four fifths", () => {
    const { rows, reference } = fairnessByGroup([
      { group: "A", decisions: 100, approved: 80, goods: 50, goodsApproved: 45 },
      { group: "B", decisions: 100, approved: 60, goods: 40, goodsApproved: 30 },
      { group: "C", decisions: 0, approved: 0 },
      { group: "D", decisions: 100, approved: 64 },
    ]);
    expect(reference).toBe("A");
    const [a, b, c, d] = rows;
    expect(a).toMatchObject({ adverseImpactRatio: 1, isReference: true, isBelowFourFifths: false, truePositiveRateDifference: 0 });
    expect(b!.adverseImpactRatio).toBeCloseTo(0.75, 12);
    expect(b!.isBelowFourFifths).toBe(true);
    expect(b!.truePositiveRateDifference).toBeCloseTo(0.75 - 0.9, 12);
    expect(c).toMatchObject({ approvalRate: null, adverseImpactRatio: null, isBelowFourFifths: false });
    // Exactly 0.8 is not below the line.
    expect(d!.adverseImpactRatio).toBeCloseTo(0.8, 12);
    expect(d!.isBelowFourFifths).toBe(false);
    expect(d!.truePositiveRate).toBeNull();
  });

  it("keeps small groups from becoming the reference", () => {
    const { reference } = fairnessByGroup([
      { group: "tiny", decisions: 2, approved: 2 },
      { group: "big", decisions: 200, approved: 150 },
    ], 30);
    expect(reference).toBe("big");
  });
});

describe("vintageCurve", () => {
  it("accumulates first arrivals by month on book, only as far as observed", () => {
    const points = vintageCurve({ vintage: "2026-01-01", booked: 100, firstReachedByMob: new Map([[1, 5], [3, 5], [6, 9]]) }, "2026-04");
    expect(points.map((point) => [point.mob, point.share])).toEqual([[0, 0], [1, 0.05], [2, 0.05], [3, 0.1]]);
    expect(vintageCurve({ vintage: "2026-01-01", booked: 0, firstReachedByMob: new Map() }, "2026-04")).toEqual([]);
    expect(monthsBetween("2025-11-01", "2026-02")).toBe(3);
  });
});
