import type { SlaBand } from "./ui/badges";

// The review SLA clock: overdue is red, due within a day amber (DESIGN.md §8).

const HOUR_MS = 3_600_000;
/** Reviews due within this many hours show amber (overdue shows red). */
export const DUE_SOON_HOURS = 24;

export function slaOf(review: { status: string; dueAt: Date }, now = new Date()) {
  const hoursLeft = (review.dueAt.getTime() - now.getTime()) / HOUR_MS;
  const band: SlaBand = review.status === "closed" ? "closed" : hoursLeft < 0 ? "overdue" : hoursLeft < DUE_SOON_HOURS ? "due_soon" : "on_time";
  return { hoursLeft, slaBand: band };
}

// ── Review deadlines by trigger (ingestion queue rules, app/modules/decisions/queue-rules.server.ts) ──

/** Hours a review may stay open from when it opens; a fraud hold blocks a purchase, so it is the shortest. */
export const reviewSlaHoursByTrigger = {
  contest: 72,
  fraud_hold: 24,
  referral: 48,
  grey_band: 120,
  sample: 240,
} as const satisfies Record<string, number>;

/** Queue order: lower is more urgent; contests jump the queue. */
export const reviewPriorityByTrigger = {
  contest: 10,
  fraud_hold: 20,
  referral: 50,
  grey_band: 80,
  sample: 120,
} as const satisfies Record<keyof typeof reviewSlaHoursByTrigger, number>;

export function reviewDueAt(trigger: keyof typeof reviewSlaHoursByTrigger, openedAt: Date) {
  return new Date(openedAt.getTime() + reviewSlaHoursByTrigger[trigger] * HOUR_MS);
}
