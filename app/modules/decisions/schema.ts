import { z } from "zod";
import { cursorSchema, dateParamSchema, oneOf, pageNumberSchema, regionParamSchema, sortOrderSchema } from "~/components/data-table/url-state";

// Search params of the decision explorer and the review queue, validated before any query runs.
// Pure: the pages read the same option lists to build their filter bars.

export const decisionKinds = ["credit", "limit", "fraud"] as const;
export const decisionOutcomes = ["approved", "declined", "referred", "fraud_hold"] as const;
export const reviewStates = ["not_required", "queued", "in_review", "awaiting_approval", "upheld", "overturned"] as const;

/**
 * Keyset sorts: each needs an index on (column, id), or every page sorts the whole table. Only
 * decided_at has one; sorting by score would need a (score, id) index first.
 */
export const decisionSortKeys = ["decidedAt"] as const;
export type DecisionSortKey = (typeof decisionSortKeys)[number];

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
    from: dateParamSchema.optional(),
    to: dateParamSchema.optional(),
    sort: oneOf(decisionSortKeys).default("decidedAt"),
    order: sortOrderSchema.default("desc"),
    after: cursorSchema.optional(),
    before: cursorSchema.optional(),
  })
  .refine((query) => !(query.after && query.before), { path: ["before"], message: "cannot be combined with after" })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must not be before from" });

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
