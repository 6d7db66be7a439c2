import { z } from "zod";
import { decisionKinds, decisionOutcomes, reviewStates } from "~/modules/decisions/schema";

// What an evidence pack covers (issue 11, ADR 012): the period, the regions (within the requester's),
// what to include, the decision explorer's filters, and an optional reproducible audit sample. Pure, so
// the scope picker and the job validate the same thing.

export const includeOptions = {
  decisions: "Decisions with their reason codes and customers (personal data masked unless you may read it)",
  reviews: "Reviews and overturns, with reviewers and four-eyes approvers",
  contests: "Contests of automated decisions (GDPR Art. 22(3)) and their reviews",
  privacyRequests: "Privacy requests, their steps and the SHA-256 of their artefacts",
  ruleSets: "Rule-set versions in force during the period",
  staffChanges: "Staff and role changes (accounts, roles, regions, MFA)",
  ledger: "Every ledger event of the period in these regions (otherwise only those of what is included)",
} as const;
export type IncludeKey = keyof typeof includeOptions;
export const includeKeys = Object.keys(includeOptions) as IncludeKey[];

const day = (field: string) =>
  z
    .string({ required_error: `${field} is required` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${field} must be a date such as 2026-07-01`)
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), `${field} is not a real date`);

export const SampleSchema = z.object({
  /** The population: decisions of the pack's scope narrowed by these (e.g. all overturned decisions). */
  outcome: z.enum(decisionOutcomes).optional(),
  review: z.enum(reviewStates).optional(),
  size: z.number({ invalid_type_error: "sample.size must be a number" }).int("sample.size must be a whole number").min(1, "sample.size must be at least 1").max(10_000, "sample.size must be at most 10,000"),
  /** Anyone can redraw the sample from the population file with this seed (attest-sample/v1). */
  seed: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "sample.seed must be 1–64 letters, digits, '.', '_' or '-'"),
});
export type PackSample = z.infer<typeof SampleSchema>;

export const PackScopeSchema = z
  .object({
    from: day("from"),
    to: day("to"),
    regions: z.array(z.string().regex(/^[A-Z]{2}$/, "regions must be two-letter region codes")).min(1, "regions: choose at least one region"),
    include: z.object(Object.fromEntries(includeKeys.map((key) => [key, z.boolean()])) as Record<IncludeKey, z.ZodBoolean>),
    decisionFilter: z
      .object({
        kind: z.enum(decisionKinds).optional(),
        outcome: z.enum(decisionOutcomes).optional(),
        review: z.enum(reviewStates).optional(),
      })
      .default({}),
    sample: SampleSchema.nullable().default(null),
  })
  .superRefine((scope, context) => {
    if (scope.from > scope.to) context.addIssue({ code: "custom", path: ["to"], message: "to must not be before from" });
    if (!includeKeys.some((key) => scope.include[key])) context.addIssue({ code: "custom", path: ["include"], message: "include: choose at least one kind of evidence" });
    if (scope.sample && !scope.include.decisions) context.addIssue({ code: "custom", path: ["sample"], message: "sample: a sample is drawn from decisions; include decisions" });
  });
export type PackScope = z.infer<typeof PackScopeSchema>;

/** The half-open instant range [from 00:00Z, the day after `to` 00:00Z) of a scope. */
export function periodOf(scope: Pick<PackScope, "from" | "to">) {
  const from = new Date(`${scope.from}T00:00:00.000Z`);
  const until = new Date(new Date(`${scope.to}T00:00:00.000Z`).getTime() + 86_400_000);
  return { from, until };
}
