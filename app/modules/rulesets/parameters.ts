import { formatMoney } from "~/utils/format";

// How rule-set parameters read to a person: a label and a unit for each, in the schema's order, and
// a field-by-field comparison of two versions. Works on the stored JSON as it is, so a version that
// fails validation can still be read and compared.

type ParameterKind = "money" | "years" | "days" | "count" | "score" | "features";

export const parameterDisplay: readonly { path: string; label: string; kind: ParameterKind; hint?: string }[] = [
  { path: "minimumAge", label: "Minimum age", kind: "years" },
  { path: "maxOrderAmount", label: "Maximum order amount", kind: "money" },
  { path: "creditLimit", label: "Credit limit", kind: "money" },
  { path: "installments", label: "Number of installments", kind: "count" },
  { path: "termDays", label: "Term", kind: "days" },
  { path: "affordabilityCheckAbove", label: "Affordability check above", kind: "money", hint: "verified income needed (CCD2 Art. 18)" },
  { path: "bureauCheckAbove", label: "Bureau check above", kind: "money" },
  { path: "scoreBands.approveAbove", label: "Approve at or above score", kind: "score" },
  { path: "scoreBands.declineBelow", label: "Decline below score", kind: "score", hint: "scores in between are referred" },
  { path: "fraudHoldAbove", label: "Fraud hold at or above", kind: "score" },
  { path: "lateFeeCapPerEvent", label: "Late fee cap per event", kind: "money" },
  { path: "lateFeeCapPer12Months", label: "Late fee cap per 12 months", kind: "money" },
  { path: "coolingOffDays", label: "Cooling-off period", kind: "days" },
  { path: "prohibitedFeatures", label: "Features the model may not use", kind: "features" },
];

/** Leaf values of a parameters object by dotted path ("scoreBands.approveAbove"). */
function flatten(value: unknown, prefix = ""): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [path, leaf] of flatten(inner, prefix ? `${prefix}.${key}` : key)) leaves.set(path, leaf);
    }
  } else if (prefix) {
    leaves.set(prefix, value);
  }
  return leaves;
}

function formatValue(value: unknown, kind: ParameterKind | undefined, currency: string): string {
  if (value === undefined) return "—";
  if (kind === "money" && typeof value === "number") return formatMoney(value, currency);
  if (kind === "years" && typeof value === "number") return `${value} years`;
  if (kind === "days" && typeof value === "number") return `${value} ${value === 1 ? "day" : "days"}`;
  if (kind === "score" && typeof value === "number") return value.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 4 });
  if (kind === "features" && Array.isArray(value)) return value.length === 0 ? "none" : value.join(", ");
  if (typeof value === "number") return value.toLocaleString("en");
  return typeof value === "string" ? value : JSON.stringify(value);
}

export interface ParameterRow {
  path: string;
  label: string;
  hint: string | null;
  value: string;
  /** The active version's value, when comparing against it. */
  activeValue: string | null;
  isChanged: boolean;
}

/** The parameters as labelled rows, each compared with the active version's when one is given. */
export function parameterRows(parameters: unknown, currency: string, active?: unknown): ParameterRow[] {
  const own = flatten(parameters);
  const theirs = active === undefined ? null : flatten(active);
  const known = new Set(parameterDisplay.map((entry) => entry.path));
  const extra = [...new Set([...own.keys(), ...(theirs?.keys() ?? [])])].filter((path) => !known.has(path)).sort();
  const entries = [...parameterDisplay, ...extra.map((path) => ({ path, label: path, kind: undefined, hint: "not a known parameter" }))];
  return entries
    .filter((entry) => own.has(entry.path) || theirs?.has(entry.path))
    .map((entry) => {
      const value = formatValue(own.get(entry.path), entry.kind, currency);
      const activeValue = theirs ? formatValue(theirs.get(entry.path), entry.kind, currency) : null;
      return {
        path: entry.path,
        label: entry.label,
        hint: entry.hint ?? null,
        value,
        activeValue,
        isChanged: theirs !== null && JSON.stringify(own.get(entry.path)) !== JSON.stringify(theirs.get(entry.path)),
      };
    });
}
