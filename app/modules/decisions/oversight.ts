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
  const medianMinutes = median(samples.flatMap((sample) => (sample.minutes === null ? [] : [sample.minutes])));
  return oversightRow(key, label, { reviews: samples.length, overturned, medianMinutes });
}

/** A group's row from its counts and median (as the database aggregates them, or summarise above). */
export function oversightRow(key: string, label: string, counts: { reviews: number; overturned: number; medianMinutes: number | null }): OversightRow {
  const { reviews, overturned, medianMinutes } = counts;
  const overrideRate = reviews === 0 ? 0 : overturned / reviews;
  return {
    key,
    label,
    reviews,
    overturned,
    overrideRate,
    medianMinutes,
    isPossibleAutomationBias:
      reviews >= MIN_REVIEWS_TO_FLAG && overrideRate < RUBBER_STAMP_OVERRIDE_RATE && medianMinutes !== null && medianMinutes < RUBBER_STAMP_MEDIAN_MINUTES,
  };
}

/**
 * The median from the two middle values of an ordered list of n, as PostgreSQL hands them over
 * (`lower` at position ⌈n/2⌉, `upper` at ⌊n/2⌋ + 1, 1-based): the same arithmetic as median().
 */
export function medianOfMiddles(count: number, lower: number | null, upper: number | null): number | null {
  if (count === 0 || lower === null || upper === null) return null;
  return count % 2 === 1 ? lower : (lower + upper) / 2;
}
