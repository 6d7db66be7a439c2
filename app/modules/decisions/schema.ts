import { z } from "zod";
import { cursorSchema, dateParamSchema, oneOf, pageNumberSchema, regionParamSchema, sortOrderSchema } from "~/components/data-table/url-state";

// Search params of the decision explorer and the review queue, validated before any query runs.
// Pure: the pages read the same option lists to build their filter bars.

export const decisionKinds = ["credit", "limit", "fraud"] as const;
export const decisionOutcomes = ["approved", "declined", "referred", "fraud_hold"] as const;
export const reviewStates = ["not_required", "queued", "in_review", "awaiting_approval", "upheld", "overturned"] as const;
// Segments the dashboards drill into (docs/metrics.md): the applicant's age band as the model saw it
// (the database's rollup_age_band), a fraud outcome reported, and delinquency ever reached.
export const ageBands = ["under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"] as const;
export const fraudOutcomeKinds = ["confirmed_fraud", "cleared", "chargeback"] as const;
export const delinquencyStages = ["30", "90"] as const;

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
    // Governance check (issue 9): decisions citing a rule-set version not in force at decidedAt.
    ruleSet: z.enum(["not_in_force"], { errorMap: () => ({ message: 'must be "not_in_force"' }) }).optional(),
    ageBand: oneOf(ageBands).optional(),
    fraudOutcome: oneOf(fraudOutcomeKinds).optional(),
    delinquency: oneOf(delinquencyStages).optional(),
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
    // The escalation view: overdue items and items a reviewer escalated, for leads.
    view: oneOf(["queue", "escalation", "mine"] as const).default("queue"),
    region: regionParamSchema.optional(),
    sort: oneOf(reviewSortKeys).default("priority"),
    order: sortOrderSchema.default("asc"),
    page: pageNumberSchema,
  });

export type ReviewQueueQuery = z.infer<typeof ReviewQueueQuerySchema>;

export const DecisionIdSchema = z.object({ decisionId: z.string().uuid() });

// ── Review workflow ─────────────────────────────────────────────────────────────────────────────

export const ReviewIdSchema = z.object({ reviewId: z.string().uuid() });

export const reviewVerdicts = ["upheld", "overturned"] as const;

/** Why a reviewer reached their verdict: a fixed list so override reasons can be counted (EU AI Act Art. 14). */
export const verdictReasons = {
  income_verified_manually: "Income verified manually",
  history_explained: "Adverse history explained",
  low_exposure: "Low exposure",
  customer_confirmed_purchase: "Customer confirmed the purchase",
  signals_explained: "Fraud signals explained",
  model_limitation: "Model limitation (thin file, outdated data)",
  policy_misapplied: "Rule set or policy misapplied",
  contest_upheld_for_customer: "Contest: customer's view accepted",
  affordability_not_shown: "Affordability not shown",
  adverse_history: "Adverse history confirmed",
  fraud_confirmed: "Fraud confirmed",
  no_response: "Customer did not respond",
  decline_supported: "Decision supported by the evidence",
  quality_sample_ok: "Quality sample: no issues",
  contest_rejected: "Contest: decision stands",
} as const;
export type VerdictReason = keyof typeof verdictReasons;
const verdictReasonKeys = Object.keys(verdictReasons) as [VerdictReason, ...VerdictReason[]];

const versionSchema = z.coerce
  .number({ invalid_type_error: "must be the version number of the review you opened" })
  .int()
  .positive("must be the version number of the review you opened");
const reasonText = (what: string) =>
  z
    .string({ required_error: `Give ${what}` })
    .trim()
    .min(10, `Give ${what} (at least 10 characters)`)
    .max(2000, "At most 2000 characters");

export const ClaimReviewSchema = z.object({ reviewId: z.string().uuid(), version: versionSchema });
export const ReleaseReviewSchema = ClaimReviewSchema;
export const DecideReviewSchema = z.object({
  reviewId: z.string().uuid(),
  version: versionSchema,
  verdict: z.enum(reviewVerdicts, { errorMap: () => ({ message: "Choose uphold or overturn" }) }),
  reason: z.enum(verdictReasonKeys, { errorMap: () => ({ message: "Choose the reason for your verdict" }) }),
  justification: reasonText("a justification"),
});
export const ApproveReviewSchema = z.object({ reviewId: z.string().uuid(), version: versionSchema, justification: z.string().trim().max(2000).optional() });
export const RejectReviewApprovalSchema = z.object({ reviewId: z.string().uuid(), version: versionSchema, reason: reasonText("the reason for sending it back") });
export const EscalateReviewSchema = z.object({ reviewId: z.string().uuid(), version: versionSchema, reason: reasonText("the reason for escalating") });
export const AssignReviewsSchema = z.object({
  reviewIds: z.array(z.string().uuid()).min(1, "Select at least one review.").max(200, "Assign at most 200 reviews at once."),
  assigneeId: z.string({ required_error: "Choose the reviewer to assign." }).uuid("Choose the reviewer to assign."),
});

export type DecideReviewInput = z.infer<typeof DecideReviewSchema>;

// ── Contests (GDPR Art. 22(3), CCD2 Art. 18) ───────────────────────────────────────────────────────

export const contestChannels = ["in_app", "web_form", "email", "phone", "post"] as const;

export const ContestSchema = z.object({
  details: z
    .string({ required_error: "Record the customer's point of view" })
    .trim()
    .min(10, "Record the customer's point of view (at least 10 characters)")
    .max(5000, "At most 5000 characters"),
  channel: z.enum(contestChannels, { errorMap: () => ({ message: `must be one of ${contestChannels.join(", ")}` }) }),
  receivedAt: z.coerce.date({ invalid_type_error: "must be an ISO 8601 date-time" }).optional(),
});
export type ContestInput = z.infer<typeof ContestSchema>;

// ── Notices ────────────────────────────────────────────────────────────────────────────────────────

export const noticeKinds = ["adverse_action", "review_outcome"] as const;
export type NoticeKind = (typeof noticeKinds)[number];
export const NoticeQuerySchema = z.object({
  kind: z.enum(noticeKinds).default("adverse_action"),
  format: z.enum(["html", "pdf"]).default("html"),
});

// ── Oversight metrics (EU AI Act Art. 14) ─────────────────────────────────────────────────────────

export const OversightQuerySchema = z
  .object({
    region: regionParamSchema.optional(),
    from: dateParamSchema.optional(),
    to: dateParamSchema.optional(),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must not be before from" });
export type OversightQuery = z.infer<typeof OversightQuerySchema>;
