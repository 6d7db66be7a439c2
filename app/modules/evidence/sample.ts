import { hash } from "node:crypto";

// Reproducible audit samples (attest-sample/v1, docs/evidence-packs.md). The population is a file in
// the pack, one row a line, in a fixed order; the sample is the first `size` positions of a Fisher–Yates
// shuffle of that file's rows, driven by uniform integers drawn from SHA-256(seed ‖ ":" ‖ counter) read
// as a big-endian uint64 and rejection-sampled (no modulo bias). The pack's verify.mjs redraws it with
// the same few lines; anyone can in any language. Memory grows with the sample, not the population.

export const SAMPLE_METHOD = "attest-sample/v1";

export const sampleMethodDescription =
  "attest-sample/v1: number the population file's data rows 0..N-1 in file order. For i = 0 .. size-1: draw j uniformly from [i, N) and swap positions i and j (Fisher–Yates); the i-th sampled row is the one now at position i. Each uniform integer in [0, b) takes the next counter values c = 0, 1, 2, … and reads v = the first 8 bytes of SHA-256(UTF-8 of seed + ':' + decimal c) as a big-endian unsigned integer, accepting v only when v < floor(2^64 / b) · b, and returns v mod b.";

function seededIntegers(seed: string) {
  let counter = 0;
  return (bound: number) => {
    const big = BigInt(bound);
    const limit = (2n ** 64n / big) * big;
    for (;;) {
      const value = hash("sha256", `${seed}:${counter++}`, "buffer").readBigUInt64BE(0);
      if (value < limit) return Number(value % big);
    }
  };
}

/** Positions (0-based, in the population file's order) of the sample, in draw order. */
export function samplePositions(seed: string, populationSize: number, size: number): number[] {
  const below = seededIntegers(seed);
  const swapped = new Map<number, number>();
  const at = (i: number) => swapped.get(i) ?? i;
  const picked: number[] = [];
  for (let i = 0; i < Math.min(size, populationSize); i++) {
    const j = i + below(populationSize - i);
    const chosen = at(j);
    swapped.set(j, at(i));
    picked.push(chosen);
  }
  return picked;
}
