import type { ReferenceBook } from "./databases";

// The book in the long-lived benchmark database: fixed seed and anchor, so every machine and every
// run measures the same rows.
export const referenceBook: ReferenceBook = { decisions: 1_000_000, seed: 1, now: "2026-06-30T00:00:00.000Z" };
