import { describe, expect, it } from "vitest";
import { reasonDirectionOf, reasonEffectOf } from "./reason-effect";

// Issue 14: the export told customers that adverse reasons "raised the score by 0.579". A reason's
// contribution is its weight against the customer, and a higher score means a lower risk.
describe("the effect of a reason code on the score", () => {
  it("says an adverse reason (positive contribution) lowered the score", () => {
    expect(reasonDirectionOf(0.579)).toBe("lowered_score");
    expect(reasonEffectOf(0.579)).toBe("counted against you: it lowered your score (weight 0.579)");
    expect(reasonEffectOf(0.579)).not.toMatch(/raised/);
  });

  it("says a reason with a negative contribution raised it, and one without a weight says so", () => {
    expect(reasonEffectOf(-0.2)).toBe("counted in your favour: it raised your score (weight 0.200)");
    expect(reasonDirectionOf(0)).toBe("not_reported");
    expect(reasonEffectOf(0)).toMatch(/weight was not reported/);
  });
});
