import { z } from "zod";

// Parameters of a rule-set version (DESIGN.md §10), as the decision engine applies them in one region.
// Amounts are in the region's currency. Pure: the draft form validates with the same schema in the
// browser that the server applies before saving.

const amount = (label: string) =>
  z.number({ invalid_type_error: `${label} must be a number` }).nonnegative(`${label} cannot be negative`);

const probability = (label: string) =>
  z
    .number({ invalid_type_error: `${label} must be a number` })
    .min(0, `${label} must be between 0 and 1`)
    .max(1, `${label} must be between 0 and 1`);

export const ScoreBandsSchema = z
  .object({
    // Scores at or above this are approved automatically.
    approveAbove: probability("Approve-above"),
    // Scores below this are declined automatically; scores in between are referred to a human.
    declineBelow: probability("Decline-below"),
  })
  .strict()
  .refine((bands) => bands.declineBelow < bands.approveAbove, {
    path: ["declineBelow"],
    message: "Decline-below must be lower than approve-above (scores in between are referred)",
  });

export const RuleSetParametersSchema = z
  .object({
    minimumAge: z.number().int("Minimum age must be whole years").min(18, "Minimum age cannot be below 18").max(99),
    maxOrderAmount: amount("Maximum order amount").positive("Maximum order amount must be above zero"),
    creditLimit: amount("Credit limit").positive("Credit limit must be above zero"),
    installments: z.number().int("Installments must be a whole number").min(1).max(36),
    termDays: z.number().int("Term must be whole days").min(1).max(1095),
    // Orders above this amount need verified income (CCD2 Art. 18 creditworthiness assessment).
    affordabilityCheckAbove: amount("Affordability check threshold"),
    // Orders above this amount need a bureau file.
    bureauCheckAbove: amount("Bureau check threshold"),
    scoreBands: ScoreBandsSchema,
    // Fraud-model scores at or above this put the order on hold for a fraud analyst.
    fraudHoldAbove: probability("Fraud hold threshold"),
    lateFeeCapPerEvent: amount("Late fee cap per event"),
    lateFeeCapPer12Months: amount("Late fee cap per 12 months"),
    coolingOffDays: z.number().int("Cooling-off must be whole days").min(0).max(60),
    // Input features the model may not use in this region (e.g. protected characteristics).
    prohibitedFeatures: z
      .array(z.string().regex(/^[a-z][A-Za-z0-9]*$/, "a feature name in camelCase, such as maritalStatus"))
      .refine((names) => new Set(names).size === names.length, "Each prohibited feature is listed once"),
  })
  .strict()
  .superRefine((parameters, context) => {
    if (parameters.maxOrderAmount > parameters.creditLimit) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["maxOrderAmount"],
        message: "Maximum order amount cannot exceed the credit limit",
      });
    }
    if (parameters.lateFeeCapPerEvent > parameters.lateFeeCapPer12Months) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["lateFeeCapPerEvent"],
        message: "Late fee cap per event cannot exceed the cap per 12 months",
      });
    }
  });

export type RuleSetParameters = z.infer<typeof RuleSetParametersSchema>;
export type ScoreBands = z.infer<typeof ScoreBandsSchema>;

// ── Bounds per region (policies/rule-set-bounds.yaml) ──

export const parameterTypes = ["integer", "money", "score"] as const;
export const parameterUnits = ["years", "currency", "count", "days", "score"] as const;

/** One numeric parameter's legal or sane range in one region, with the reason a person reads. */
export interface ParameterBound {
  path: string;
  type: (typeof parameterTypes)[number];
  unit: (typeof parameterUnits)[number];
  min: number | null;
  max: number | null;
  /** Why the minimum and why the maximum (a region may narrow one and keep the other's reason). */
  minWhy: string;
  maxWhy: string;
}

export interface RegionRuleBounds {
  regionCode: string;
  currency: string;
  bounds: ParameterBound[];
}

export interface ParameterIssue {
  /** Dotted path of the field at fault ("scoreBands.approveAbove"), or "parameters" for the whole. */
  path: string;
  message: string;
}

function valueAt(parameters: unknown, path: string): unknown {
  let value = parameters;
  for (const key of path.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function formatBound(value: number, bound: ParameterBound, currency: string) {
  if (bound.unit === "currency") return `${value.toLocaleString("en")} ${currency}`;
  if (bound.unit === "years" || bound.unit === "days") return `${value} ${bound.unit}`;
  return value.toLocaleString("en");
}

/**
 * Validates a draft's parameters against the schema and its region's bounds. Pure: the editor runs it
 * as the person types; the server runs it again before anything is stored.
 */
export function validateRuleSetParameters(
  parameters: unknown,
  region: RegionRuleBounds,
  labelOf: (path: string) => string = (path) => path,
): { success: true; data: RuleSetParameters } | { success: false; issues: ParameterIssue[] } {
  const parsed = RuleSetParametersSchema.safeParse(parameters);
  const issues: ParameterIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ path: issue.path.join(".") || "parameters", message: issue.message }));
  const fieldsAtFault = new Set(issues.map((issue) => issue.path));
  for (const bound of region.bounds) {
    const value = valueAt(parameters, bound.path);
    if (typeof value !== "number" || fieldsAtFault.has(bound.path)) continue;
    const label = labelOf(bound.path);
    if (bound.min !== null && value < bound.min) {
      issues.push({ path: bound.path, message: `${label} must be at least ${formatBound(bound.min, bound, region.currency)} in ${region.regionCode}: ${bound.minWhy}` });
    } else if (bound.max !== null && value > bound.max) {
      issues.push({ path: bound.path, message: `${label} must be at most ${formatBound(bound.max, bound, region.currency)} in ${region.regionCode}: ${bound.maxWhy}` });
    }
  }
  if (issues.length > 0 || !parsed.success) return { success: false, issues };
  return { success: true, data: parsed.data };
}
