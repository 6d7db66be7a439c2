// Human-oversight arithmetic (EU AI Act Art. 14(4)(b), automation bias): pure, shared by the
// oversight page (oversight.server.ts) and its tests.

export const DEFAULT_PERIOD_DAYS = 90;
/** Below this override rate with reviews this fast, a group is flagged as possible rubber-stamping. */
export const RUBBER_STAMP_OVERRIDE_RATE = 0.02;
export const RUBBER_STAMP_MEDIAN_MINUTES = 2;
/** Groups with fewer reviews say little; they are shown but never flagged. */
export const MIN_REVIEWS_TO_FLAG = 20;

export interface OversightRow {
  key: string;
  label: string;
  reviews: number;
  overturned: number;
  overrideRate: number;
  medianMinutes: number | null;
  isPossibleAutomationBias: boolean;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface ReviewSample {
  verdict: "upheld" | "overturned";
  minutes: number | null;
}

export function summarise(key: string, label: string, samples: ReviewSample[]): OversightRow {
  const overturned = samples.filter((sample) => sample.verdict === "overturned").length;
  const overrideRate = samples.length === 0 ? 0 : overturned / samples.length;
  const medianMinutes = median(samples.flatMap((sample) => (sample.minutes === null ? [] : [sample.minutes])));
  return {
    key,
    label,
    reviews: samples.length,
    overturned,
    overrideRate,
    medianMinutes,
    isPossibleAutomationBias:
      samples.length >= MIN_REVIEWS_TO_FLAG &&
      overrideRate < RUBBER_STAMP_OVERRIDE_RATE &&
      medianMinutes !== null &&
      medianMinutes < RUBBER_STAMP_MEDIAN_MINUTES,
  };
}

