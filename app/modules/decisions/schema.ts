import { z } from "zod";
import { cursorSchema, dateParamSchema, oneOf, pageNumberSchema, regionParamSchema, sortOrderSchema } from "~/components/data-table/url-state";

// Search params of the decision explorer and the review queue, validated before any query runs.
// Pure: the pages read the same option lists to build their filter bars.

export const decisionKinds = ["credit", "limit", "fraud"] as const;
export const decisionOutcomes = ["approved", "declined", "referred", "fraud_hold"] as const;
export const reviewStates = ["not_required", "queued", "in_review", "awaiting_approval", "upheld", "overturned"] as const;

/**
 * Keyset sorts: each has an index on (column, id) (migration …_decision_explorer_sort_indexes), so a
 * page at any depth is an index range scan, never OFFSET.
 */
export const decisionSortKeys = ["decidedAt", "score", "amount"] as const;
export type DecisionSortKey = (typeof decisionSortKeys)[number];

/** Columns of the explorer, in order; `cols` in the URL chooses which are shown. */
export const decisionColumns = [
  "decidedAt",
  "externalId",
  "regionCode",
  "customerReference",
  "kind",
  "outcome",
  "score",
  "amount",
  "modelVersion",
  "reviewState",
  "principalReason",
] as const;
export type DecisionColumn = (typeof decisionColumns)[number];

const bound = (label: string, schema: z.ZodNumber) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `must be a number such as ${label}`)
    .transform(Number)
    .pipe(schema);

export const DecisionListQuerySchema = z
  .object({
    region: regionParamSchema.optional(),
    kind: oneOf(decisionKinds).optional(),
    outcome: oneOf(decisionOutcomes).optional(),
    review: oneOf(reviewStates).optional(),
    // "name@version" (as the filter offers it) or a bare version.
    model: z
      .string()
      .max(120, "is too long")
      .transform((value) => {
        const at = value.lastIndexOf("@");
        return at > 0 ? { name: value.slice(0, at), version: value.slice(at + 1) } : { name: undefined, version: value };
      })
      .optional(),
    reason: z
      .string()
      .regex(/^[A-Za-z]{2}\d{2}$/, "must be a reason code such as CH01")
      .transform((code) => code.toUpperCase())
      .optional(),
    customer: z.string().uuid("must be a customer id").optional(),
    // The engine's pseudonymous customer reference, as support staff are given it.
    customerRef: z.string().max(128, "is too long").regex(/^[A-Za-z0-9._:-]+$/, "must be a customer reference such as CUS-SE-000001").optional(),
    scoreMin: bound("0.4", z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1")).optional(),
    scoreMax: bound("0.7", z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1")).optional(),
    amountMin: bound("100", z.number().max(1e12, "is too large")).optional(),
    amountMax: bound("5000", z.number().max(1e12, "is too large")).optional(),
    from: dateParamSchema.optional(),
    to: dateParamSchema.optional(),
    cols: z
      .string()
      .max(300, "is too long")
      .transform((value) => value.split(",").filter(Boolean))
      .pipe(z.array(oneOf(decisionColumns)).min(1, "must name at least one column"))
      .optional(),
    sort: oneOf(decisionSortKeys).default("decidedAt"),
    order: sortOrderSchema.default("desc"),
    after: cursorSchema.optional(),
    before: cursorSchema.optional(),
  })
  .refine((query) => !(query.after && query.before), { path: ["before"], message: "cannot be combined with after" })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must not be before from" })
  .refine((query) => query.scoreMin === undefined || query.scoreMax === undefined || query.scoreMin <= query.scoreMax, { path: ["scoreMax"], message: "must not be below scoreMin" })
  .refine((query) => query.amountMin === undefined || query.amountMax === undefined || query.amountMin <= query.amountMax, { path: ["amountMax"], message: "must not be below amountMin" });

export type DecisionListQuery = z.infer<typeof DecisionListQuerySchema>;

// ── Review queue ────────────────────────────────────────────────────────────────────────────────

export const openReviewStatuses = ["open", "claimed", "awaiting_approval"] as const;
export const reviewTriggers = ["referral", "fraud_hold", "grey_band", "contest", "sample"] as const;
export const reviewSortKeys = ["priority", "dueAt", "openedAt"] as const;

export const ReviewQueueQuerySchema = z
  .object({
    status: oneOf(openReviewStatuses).optional(),
    trigger: oneOf(reviewTriggers).optional(),
    sla: oneOf(["overdue", "due_soon"] as const).optional(),
    region: regionParamSchema.optional(),
    sort: oneOf(reviewSortKeys).default("priority"),
    order: sortOrderSchema.default("asc"),
    page: pageNumberSchema,
  });

export type ReviewQueueQuery = z.infer<typeof ReviewQueueQuerySchema>;

export const DecisionIdSchema = z.object({ decisionId: z.string().uuid() });
