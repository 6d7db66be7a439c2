import type { ChartSpec } from "~/components/charts/chart-spec";
import type { Actor } from "~/modules/access/actor.server";
import { db } from "~/utils/db.server";
import { rate } from "./metrics";
import { monthsOf, type DashboardQuery } from "./schema";
import { currencyOf, dashboardScope, monthFilter } from "./scope.server";

// Fraud dashboard (docs/metrics.md "Fraud"): hold rate, confirmed fraud rate and the false-positive
// rate of holds among fraud screenings by decision month; chargebacks and losses by month and region.

interface FraudMonthRow {
  month: string;
  region: string;
  screenings: number;
  holds: number;
  confirmed: number;
  holdsCleared: number;
  chargebacks: number;
  losses: number;
}

export async function loadFraudDashboard(actor: Actor, query: DashboardQuery, now = new Date()) {
  const scope = dashboardScope(actor, "fraud", query, now);
  const { regions, period } = scope;
  const rows = await db.$queryRaw<FraudMonthRow[]>`
    SELECT to_char(day, 'YYYY-MM') AS month, region_code AS region,
           (sum(decisions) FILTER (WHERE kind = 'fraud'))::int AS screenings,
           (sum(decisions) FILTER (WHERE kind = 'fraud' AND outcome = 'fraud_hold'))::int AS holds,
           (sum(decisions) FILTER (WHERE kind = 'fraud' AND fraud_status = 'confirmed'))::int AS confirmed,
           (sum(decisions) FILTER (WHERE kind = 'fraud' AND outcome = 'fraud_hold' AND fraud_status = 'cleared'))::int AS "holdsCleared",
           sum(chargebacks)::int AS chargebacks, sum(loss_sum)::float8 AS losses
      FROM rollup_decision_daily
     WHERE day >= ${period.fromDate}::date AND day < ${period.toExclusive}::date AND region_code = ANY(${regions}::text[])
     GROUP BY 1, 2`;
  const months = monthsOf(period.from, period.to);
  const total = (month: string, key: keyof FraudMonthRow) => rows.filter((row) => row.month === month).reduce((sum, row) => sum + (Number(row[key]) || 0), 0);

  const rateRows = months.map((month) => ({
    month,
    screenings: total(month, "screenings"),
    holdRate: rate(total(month, "holds"), total(month, "screenings")),
    confirmedRate: rate(total(month, "confirmed"), total(month, "screenings")),
    falsePositiveRate: rate(total(month, "holdsCleared"), total(month, "holds")),
  }));
  const rates: ChartSpec = {
    id: "fraud-rates",
    title: "Hold, confirmed fraud and false-positive rates",
    description: "Fraud screenings by decision month: share held, share later confirmed as fraud, and share of holds later cleared (false positives).",
    type: "line",
    x: { key: "month", label: "Month" },
    series: [
      { key: "holdRate", label: "Hold rate", format: "percent" },
      { key: "confirmedRate", label: "Confirmed fraud rate", format: "percent" },
      { key: "falsePositiveRate", label: "False-positive rate of holds", format: "percent" },
      { key: "screenings", label: "Screenings", format: "count", isContext: true },
    ],
    rows: rateRows,
    links: months.map((month) => ({
      holdRate: scope.explorerLink({ kind: "fraud", outcome: "fraud_hold", ...monthFilter(month) }),
      confirmedRate: scope.explorerLink({ kind: "fraud", fraudOutcome: "confirmed_fraud", ...monthFilter(month) }),
      falsePositiveRate: scope.explorerLink({ kind: "fraud", outcome: "fraud_hold", fraudOutcome: "cleared", ...monthFilter(month) }),
    })),
  };

  // Losses are money: one chart per region, in that region's currency.
  const losses: ChartSpec[] = regions.map((region) => ({
    id: `fraud-losses-${region.toLowerCase()}`,
    title: `${region}: chargebacks and fraud losses (${currencyOf(region)})`,
    description: `Chargebacks and reported losses on ${region} decisions, by the month of the decision.`,
    type: "bar",
    x: { key: "month", label: "Month" },
    series: [
      { key: "losses", label: `Losses (${currencyOf(region)})`, format: "money" },
      { key: "chargebacks", label: "Chargebacks", format: "count", isContext: true },
    ],
    currency: currencyOf(region),
    rows: months.map((month) => {
      const row = rows.find((candidate) => candidate.month === month && candidate.region === region);
      return { month, losses: row?.losses ?? 0, chargebacks: row?.chargebacks ?? 0 };
    }),
    links: months.map((month) => ({
      losses: scope.explorerLink({ region, fraudOutcome: "chargeback", ...monthFilter(month) }),
      chargebacks: scope.explorerLink({ region, fraudOutcome: "chargeback", ...monthFilter(month) }),
    })),
  }));
  return { period, regions, charts: { rates, losses } };
}
