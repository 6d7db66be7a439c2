import { z } from "zod";
import { DecisionFeaturesSchema } from "~/modules/decisions/features";
import { decisionKinds, decisionOutcomes } from "~/modules/decisions/schema";

// One line of each NDJSON batch the decision engine sends (docs/ingestion.md). Pure: the shape of a
// line only. What needs the database or the catalogue — known reason codes, the token's regions,
// customers, rule-set versions, earlier ingestions — is checked by the ingest services.

const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must be letters, digits and . _ : - (the engine's own id)");

/** An ISO 8601 time with its offset; the engine's clock, not ours. */
/** No decision or outcome Attest can hold predates the year 2000: an earlier time is a client bug (issue 13). */
export const EARLIEST_INSTANT = new Date("2000-01-01T00:00:00Z");

const instant = z
  .string()
  .datetime({ offset: true, message: "must be an ISO 8601 time with an offset, such as 2026-11-28T09:15:00Z" })
  .transform((value) => new Date(value))
  .refine((value) => !Number.isNaN(value.getTime()) && value.getTime() >= EARLIEST_INSTANT.getTime(), {
    message: "must be on or after 2000-01-01T00:00:00Z",
    params: { code: "before_lower_bound" },
  });

/** Money as a JSON number or a decimal string, at most two decimals (stored as numeric(14,2)). */
const money = z
  .union([z.number(), z.string()])
  .transform((value, context) => {
    const text = typeof value === "number" ? String(value) : value.trim();
    if (!/^\d{1,12}(\.\d{1,2})?$/.test(text)) {
      context.addIssue({ code: z.ZodIssueCode.custom, message: "must be a non-negative amount with at most two decimals, such as 1299.50" });
      return z.NEVER;
    }
    return text;
  });

const reasonCode = z.string().min(1).max(16);

/** A reason code alone ("CH01") or with its contribution to the score. */
const ReasonSchema = z.union([
  reasonCode.transform((code) => ({ code, contribution: null as number | null })),
  z.object({ code: reasonCode, contribution: z.number().finite() }).strict(),
]);

export const DecisionLineSchema = z
  .object({
    externalId,
    customerReference: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must be the engine's pseudonymous reference (letters, digits and . _ : -), never a name or e-mail"),
    region: z.string().regex(/^[A-Z]{2}$/, "must be a region code such as SE"),
    kind: z.enum(decisionKinds),
    outcome: z.enum(decisionOutcomes),
    modelName: z.string().min(1).max(80),
    modelVersion: z.string().min(1).max(40),
    score: z.number().finite().min(0).max(1),
    amount: money,
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as SEK"),
    decidedAt: instant,
    features: DecisionFeaturesSchema,
    // Ordered: the first is the principal reason (DESIGN.md §8).
    reasonCodes: z.array(ReasonSchema).max(20).default([]),
    // The number of the region's rule-set version the engine applied, when it knows it.
    ruleSetVersion: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((line, context) => {
    if (line.outcome === "fraud_hold" && line.kind !== "fraud") {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ["outcome"], message: `"fraud_hold" is only an outcome of kind "fraud" (got kind "${line.kind}")` });
    }
    const seen = new Set<string>();
    line.reasonCodes.forEach((reason, index) => {
      if (seen.has(reason.code)) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: ["reasonCodes", index], message: `"${reason.code}" is listed twice` });
      }
      seen.add(reason.code);
    });
  });

export type DecisionLine = z.output<typeof DecisionLineSchema>;

export const RepaymentOutcomeLineSchema = z
  .object({
    externalId,
    decisionExternalId: externalId,
    status: z.enum(["current", "late_30", "default_90", "repaid"]),
    observedAt: instant,
    outstandingAmount: money,
  })
  .strict();

export type RepaymentOutcomeLine = z.output<typeof RepaymentOutcomeLineSchema>;

export const FraudOutcomeLineSchema = z
  .object({
    externalId,
    decisionExternalId: externalId,
    outcome: z.enum(["confirmed_fraud", "cleared", "chargeback"]),
    reportedAt: instant,
    lossAmount: money.nullable().optional(),
  })
  .strict()
  .superRefine((line, context) => {
    if (line.outcome === "cleared" && line.lossAmount && Number(line.lossAmount) > 0) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ["lossAmount"], message: "must be empty or 0 when the outcome is cleared" });
    }
  });

export type FraudOutcomeLine = z.output<typeof FraudOutcomeLineSchema>;
