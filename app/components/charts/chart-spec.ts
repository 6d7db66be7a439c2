// What a dashboard loader sends for one chart: the rows it plots (and nothing else), which columns are
// series, how values read, and where a click drills down. Pure, shared by the server and the chart.

export type ValueFormat = "count" | "percent" | "ratio" | "money" | "decimal";

export interface ChartSeries {
  key: string;
  label: string;
  format: ValueFormat;
  /** Context for each point (a count, an interval): shown in the tooltip, table and CSV, not drawn. */
  isContext?: boolean;
}

export type ChartValue = string | number | null;

export interface ChartRow {
  [column: string]: ChartValue;
}

export interface ReferenceLine {
  value: number;
  label: string;
  tone: "amber" | "red";
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Population and window in one sentence (docs/metrics.md has the definition). */
  description: string;
  type: "line" | "bar" | "stacked-bar";
  /** Column of the x axis and its heading. */
  x: { key: string; label: string };
  series: ChartSeries[];
  rows: ChartRow[];
  /** Explorer link per row and series (same order as rows); null where a point has no decisions list. */
  links?: (Record<string, string> | null)[];
  referenceLines?: ReferenceLine[];
  /** Currency the money series are in, when one applies to the whole chart. */
  currency?: string;
  /** Shown instead of the chart when there are no rows. */
  emptyMessage?: string;
}

export function formatValue(value: ChartValue, format: ValueFormat, currency?: string): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return value;
  switch (format) {
    case "percent":
      return `${(value * 100).toFixed(1)}%`;
    case "ratio":
      return value.toFixed(2);
    case "decimal":
      return value.toFixed(3);
    case "money":
      return currency
        ? new Intl.NumberFormat("en", { style: "currency", currency, maximumFractionDigits: 0 }).format(value)
        : new Intl.NumberFormat("en", { maximumFractionDigits: 0 }).format(value);
    default:
      return new Intl.NumberFormat("en").format(value);
  }
}

/** The plotted data as CSV: the x column and every series, raw values (rates as fractions). */
export function chartCsv(spec: ChartSpec): string {
  const quote = (value: ChartValue) => {
    const text = value === null || value === undefined ? "" : String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = [spec.x.label, ...spec.series.map((series) => series.label)].map(quote).join(",");
  const lines = spec.rows.map((row) => [row[spec.x.key] ?? null, ...spec.series.map((series) => row[series.key] ?? null)].map(quote).join(","));
  return [header, ...lines].join("\n") + "\n";
}
