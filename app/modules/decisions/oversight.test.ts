import { describe, expect, it } from "vitest";
import { MIN_REVIEWS_TO_FLAG, median, summarise } from "./oversight";

// Oversight metrics (EU AI Act Art. 14): override rate, median time per review, automation-bias flag.

describe("median", () => {
  it("takes the middle value, or the mean of the two middle values", () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe("summarise", () => {
  it("counts overturns and the median minutes of the reviews that were timed", () => {
    const row = summarise("r1", "Reviewer", [
      { verdict: "overturned", minutes: 10 },
      { verdict: "upheld", minutes: 30 },
      { verdict: "upheld", minutes: null },
      { verdict: "upheld", minutes: 20 },
    ]);
    expect(row).toMatchObject({ reviews: 4, overturned: 1, overrideRate: 0.25, medianMinutes: 20, isPossibleAutomationBias: false });
  });

  it("flags many fast reviews that never overturn the model, but not a handful", () => {
    const rubberStamp = Array.from({ length: MIN_REVIEWS_TO_FLAG }, () => ({ verdict: "upheld" as const, minutes: 0.5 }));
    expect(summarise("r", "R", rubberStamp).isPossibleAutomationBias).toBe(true);
    expect(summarise("r", "R", rubberStamp.slice(1)).isPossibleAutomationBias).toBe(false);
    const careful = rubberStamp.map((sample) => ({ ...sample, minutes: 12 }));
    expect(summarise("r", "R", careful).isPossibleAutomationBias).toBe(false);
  });
});
