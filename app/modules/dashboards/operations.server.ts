import type { ChartSpec } from "~/components/charts/chart-spec";
import type { Actor } from "~/modules/access/actor.server";
import { openReviewStatuses, reviewTriggers } from "~/modules/decisions/schema";
import { openPrivacyRequestStates } from "~/modules/privacy/schema";
import { db } from "~/utils/db.server";
import { rate } from "./metrics";
import { monthsOf, type DashboardQuery } from "./schema";
import { dashboardScope, monthFilter } from "./scope.server";

// Operations (docs/metrics.md "Operations"): the open review queue by age and trigger, SLA breaches,
// the override rate of closed reviews by decision month (the oversight page has it per reviewer and
// model), and open privacy requests by deadline band. Open work is read from the review and
// privacy_request tables by their status indexes (a few thousand rows at most); history from rollups.

export const QUEUE_AGE_BANDS = [
  { key: "under_1d", label: "< 1 day", maxHours: 24 },
  { key: "1_3d", label: "1–3 days", maxHours: 72 },
  { key: "3_7d", label: "3–7 days", maxHours: 168 },
  { key: "over_7d", label: "> 7 days", maxHours: Number.POSITIVE_INFINITY },
] as const;

export const DEADLINE_BANDS = [
  { key: "overdue", label: "Overdue" },
  { key: "within_7d", label: "Due within 7 days" },
  { key: "within_30d", label: "Due in 8–30 days" },
  { key: "later", label: "Due later" },
] as const;

/**
 * The rows of a stacked bar of open items: one row per band (labelled under `xKey`), one column per
 * series holding how many items of that series fall in the band. Items in no band are not counted.
 */
function countByBand<T>(
  items: readonly T[],
  bands: readonly { key: string; label: string }[],
  xKey: string,
  bandOf: (item: T) => string | null,
  seriesKeys: readonly string[],
  seriesOf: (item: T) => string,
) {
  const counts = new Map<string, number>();
  for (const item of items) {
    const band = bandOf(item);
    if (band === null) continue;
    const key = `${band}|${seriesOf(item)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return bands.map((band) => {
    const row: Record<string, string | number> = { [xKey]: band.label };
    for (const series of seriesKeys) row[series] = counts.get(`${band.key}|${series}`) ?? 0;
    return row;
  });
}

/** Per band, a link for each series to the list page filtered to it (and to the chosen region). */
function seriesLinks(bandCount: number, seriesKeys: readonly string[], link: (series: string) => string) {
  return Array.from({ length: bandCount }, () => Object.fromEntries(seriesKeys.map((series) => [series, link(series)])));
}

const queueBandOf = (ageHours: number) => (ageHours < 0 ? null : QUEUE_AGE_BANDS.find((band) => ageHours < band.maxHours)!.key);
const deadlineBandOf = (daysLeft: number) => (daysLeft < 0 ? "overdue" : daysLeft <= 7 ? "within_7d" : daysLeft <= 30 ? "within_30d" : "later");

export async function loadOperationsDashboard(actor: Actor, query: DashboardQuery, now = new Date()) {
  const scope = dashboardScope(actor, "operations", query, now);
  const { regions, period } = scope;
  const canReadReviews = actor.ability.can("read", "Review");
  const canReadPrivacy = actor.ability.can("read", "PrivacyRequest");
  const [queue, verdicts, privacy] = await Promise.all([
    canReadReviews
      ? db.$queryRaw<{ trigger: string; ageHours: number; isOverdue: boolean; region: string }[]>`
          SELECT trigger::text AS trigger, extract(epoch FROM (${now}::timestamptz - opened_at)) / 3600 AS "ageHours",
                 due_at < ${now}::timestamptz AS "isOverdue", region_code AS region
            FROM review
           WHERE status::text = ANY(${[...openReviewStatuses]}::text[]) AND region_code = ANY(${regions}::text[])`
      : Promise.resolve(null),
    canReadReviews
      ? db.$queryRaw<{ month: string; upheld: number; overturned: number }[]>`
          SELECT to_char(day, 'YYYY-MM') AS month,
                 (sum(decisions) FILTER (WHERE review_state = 'upheld'))::int AS upheld,
                 (sum(decisions) FILTER (WHERE review_state = 'overturned'))::int AS overturned
            FROM rollup_decision_daily
           WHERE day >= ${period.fromDate}::date AND day < ${period.toExclusive}::date AND region_code = ANY(${regions}::text[])
             AND review_state IN ('upheld', 'overturned')
           GROUP BY 1`
      : Promise.resolve(null),
    canReadPrivacy
      ? db.$queryRaw<{ type: string; daysLeft: number }[]>`
          SELECT type::text AS type, extract(epoch FROM (coalesce(extended_due_at, due_at) - ${now}::timestamptz)) / 86400 AS "daysLeft"
            FROM privacy_request
           WHERE state::text = ANY(${[...openPrivacyRequestStates]}::text[]) AND region_code = ANY(${regions}::text[])`
      : Promise.resolve(null),
  ]);

  const regionParameter = query.region ? `&region=${query.region}` : "";
  const queueChart: ChartSpec | null = queue && {
    id: "operations-queue-age",
    title: "Open reviews by age and trigger",
    description: "Reviews open, claimed or awaiting approval now, by time since they opened.",
    type: "stacked-bar",
    x: { key: "age", label: "Age" },
    series: reviewTriggers.map((trigger) => ({ key: trigger, label: trigger.replace("_", " "), format: "count" as const })),
    rows: countByBand(queue, QUEUE_AGE_BANDS, "age", (item) => queueBandOf(item.ageHours), reviewTriggers, (item) => item.trigger),
    links: seriesLinks(QUEUE_AGE_BANDS.length, reviewTriggers, (trigger) => `/reviews?trigger=${trigger}${regionParameter}`),
  };
  const slaChart: ChartSpec | null = queue && {
    id: "operations-sla",
    title: "SLA breaches in the open queue",
    description: "Open reviews past their due time, by region, against all open reviews there.",
    type: "bar",
    x: { key: "region", label: "Region" },
    series: [
      { key: "overdue", label: "Past due", format: "count" },
      { key: "open", label: "Open", format: "count" },
    ],
    rows: regions.map((region) => ({
      region,
      overdue: queue.filter((item) => item.region === region && item.isOverdue).length,
      open: queue.filter((item) => item.region === region).length,
    })),
    links: regions.map((region) => ({ overdue: `/reviews?sla=overdue&region=${region}`, open: `/reviews?region=${region}` })),
  };
  const months = monthsOf(period.from, period.to);
  const overrideChart: ChartSpec | null = verdicts && {
    id: "operations-override-rate",
    title: "Override rate",
    description: "Share of reviewed decisions (by decision month) whose verdict overturned the engine; per reviewer and model on the oversight page.",
    type: "line",
    x: { key: "month", label: "Month" },
    series: [
      { key: "overrideRate", label: "Override rate", format: "percent" },
      { key: "reviewed", label: "Reviewed decisions", format: "count", isContext: true },
    ],
    rows: months.map((month) => {
      const row = verdicts.find((candidate) => candidate.month === month);
      const reviewed = (row?.upheld ?? 0) + (row?.overturned ?? 0);
      return { month, overrideRate: rate(row?.overturned ?? 0, reviewed), reviewed };
    }),
    links: months.map((month) => ({ overrideRate: scope.explorerLink({ review: "overturned", ...monthFilter(month) }) })),
    emptyMessage: "No reviewed decisions in this period.",
  };
  const privacyTypes = privacy ? [...new Set(privacy.map((item) => item.type))].sort() : [];
  const privacyChart: ChartSpec | null = privacy && {
    id: "operations-privacy-deadlines",
    title: "Open privacy requests by deadline",
    description: "Open privacy requests by days left to their (extended) statutory deadline, by type.",
    type: "stacked-bar",
    x: { key: "deadline", label: "Deadline" },
    series: privacyTypes.map((type) => ({ key: type, label: type, format: "count" as const })),
    rows: countByBand(privacy, DEADLINE_BANDS, "deadline", (item) => deadlineBandOf(item.daysLeft), privacyTypes, (item) => item.type),
    links: seriesLinks(DEADLINE_BANDS.length, privacyTypes, (type) => `/privacy?type=${type}${regionParameter}`),
    emptyMessage: "No open privacy requests.",
  };
  return { period, regions, charts: { queue: queueChart, sla: slaChart, override: overrideChart, privacy: privacyChart } };
}
