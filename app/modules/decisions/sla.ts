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
