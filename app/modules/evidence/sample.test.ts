import { describe, expect, it } from "vitest";
import { samplePositions } from "./sample";

// The sample the pack builds must be the one verify.mjs (shipped in the pack) redraws: same method,
// same positions, for any seed and size.

describe("attest-sample/v1", () => {
  it("draws distinct positions within the population, reproducibly", () => {
    const first = samplePositions("audit-2026-q3", 1000, 25);
    expect(first).toHaveLength(25);
    expect(new Set(first).size).toBe(25);
    expect(first.every((position) => position >= 0 && position < 1000)).toBe(true);
    expect(samplePositions("audit-2026-q3", 1000, 25)).toEqual(first);
    expect(samplePositions("another-seed", 1000, 25)).not.toEqual(first);
  });

  it("takes the whole population, shuffled, when the sample is larger", () => {
    expect([...samplePositions("s", 7, 50)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("matches the pack's own verifier for every seed and size tried", async () => {
    const verifier = (await import("./pack/verify.mjs")) as unknown as { samplePositions(seed: string, n: number, size: number): number[] };
    for (const [seed, n, size] of [["a", 1, 1], ["b", 10, 3], ["c.d_e-1", 12345, 100], ["z", 2 ** 20, 10]] as const) {
      expect(verifier.samplePositions(seed, n, size)).toEqual(samplePositions(seed, n, size));
    }
  });
});
