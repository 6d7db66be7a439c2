import { z } from "zod";
import { regionParamSchema } from "~/components/data-table/url-state";

// Search params shared by every dashboard: a period of whole months and an optional region (always
// within the viewer's region filter, checked by regionScope).

export const dashboardNames = ["risk", "fraud", "model", "fairness", "operations"] as const;
export type DashboardName = (typeof dashboardNames)[number];

export const dashboardTitles: Record<DashboardName, string> = {
  risk: "Risk",
  fraud: "Fraud",
  model: "Model monitoring",
  fairness: "Fairness",
  operations: "Operations",
};

const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month like 2026-03");

export const DashboardQuerySchema = z
  .object({
    region: regionParamSchema.optional(),
    from: monthSchema.optional(),
    // Risk and fairness: credit applications (default) or limit changes.
    kind: z.enum(["credit", "limit"], { message: "must be credit or limit" }).default("credit"),
    to: monthSchema.optional(),
    // Model monitoring: "name@version", and the baseline window (months) its scores are compared with.
    model: z.string().max(120, "is too long").regex(/^[^@]+@[^@]+$/, "must be a model such as credit-risk-gbm@3.3").optional(),
    baselineFrom: monthSchema.optional(),
    baselineTo: monthSchema.optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must not be before from" })
  .refine((query) => !query.baselineFrom || !query.baselineTo || query.baselineFrom <= query.baselineTo, { path: ["baselineTo"], message: "must not be before baselineFrom" });

export type DashboardQuery = z.infer<typeof DashboardQuerySchema>;

export const PERIOD_MONTHS = 12;

/** The first day (UTC) of a YYYY-MM month, and month arithmetic on those strings. */
export function monthStart(month: string) {
  return new Date(`${month}-01T00:00:00.000Z`);
}

export function addMonths(month: string, count: number) {
  const date = monthStart(month);
  date.setUTCMonth(date.getUTCMonth() + count);
  return date.toISOString().slice(0, 7);
}

export function monthOf(date: Date) {
  return date.toISOString().slice(0, 7);
}

/** Last calendar day of a month as YYYY-MM-DD (the explorer's `to` is inclusive). */
export function lastDayOf(month: string) {
  const next = monthStart(addMonths(month, 1));
  return new Date(next.getTime() - 86_400_000).toISOString().slice(0, 10);
}

export function resolvePeriod(query: Pick<DashboardQuery, "from" | "to">, now = new Date()) {
  const to = query.to ?? monthOf(now);
  const from = query.from ?? addMonths(to, -(PERIOD_MONTHS - 1));
  return { from, to, fromDate: monthStart(from), toExclusive: monthStart(addMonths(to, 1)) };
}

export function monthsOf(from: string, to: string) {
  const months: string[] = [];
  for (let month = from; month <= to && months.length < 240; month = addMonths(month, 1)) months.push(month);
  return months;
}
