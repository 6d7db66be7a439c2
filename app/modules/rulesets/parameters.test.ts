import { describe, expect, it } from "vitest";
import { parameterRows } from "./parameters";

const active = {
  minimumAge: 18,
  maxOrderAmount: 30000,
  scoreBands: { approveAbove: 0.6, declineBelow: 0.54 },
  prohibitedFeatures: ["gender"],
};

describe("rule-set parameter comparison", () => {
  it("marks exactly the parameters that differ from the active version", () => {
    const draft = { ...active, maxOrderAmount: 36000, scoreBands: { approveAbove: 0.62, declineBelow: 0.54 } };
    const changed = parameterRows(draft, "SEK", active).filter((row) => row.isChanged);
    expect(changed.map((row) => row.path)).toEqual(["maxOrderAmount", "scoreBands.approveAbove"]);
    expect(changed[0]?.value).toContain("36,000");
    expect(changed[0]?.activeValue).toContain("30,000");
  });

  it("shows a parameter the schema does not know instead of hiding it", () => {
    const rows = parameterRows({ ...active, maritalStatusWeight: 0.3 }, "EUR");
    expect(rows.find((row) => row.path === "maritalStatusWeight")?.hint).toBe("not a known parameter");
    expect(rows.every((row) => !row.isChanged && row.activeValue === null)).toBe(true);
  });
});
