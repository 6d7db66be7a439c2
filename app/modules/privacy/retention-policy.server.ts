import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { allRegionCodes } from "~/modules/access/regions.server";
import { loadPolicyFile, policiesDir } from "~/utils/policy-file.server";

// policies/retention.yaml as typed data (DESIGN.md §9): per data category and region, how long a
// subject's records are kept after an erasure request and why. Validated at start-up: a category the
// code does not know, a region left out or a period that cannot be read stops the process with the
// line at fault.

export const retentionCategories = [
  "personal_data",
  "credit_decisions",
  "repayment_records",
  "fraud_aml_records",
  "reviews_and_contests",
  "privacy_request_records",
  "ai_system_logs",
  "debt_identity",
] as const;

export type RetentionCategory = (typeof retentionCategories)[number];

export interface RetentionPeriod {
  years: number;
  months: number;
  days: number;
}

const PERIOD_PATTERN = /^(\d{1,3})([ymd])$/;

/** "10y", "25m", "90d" → a period; "0d" is "nothing to keep". */
export function parsePeriod(text: string): RetentionPeriod | null {
  const match = PERIOD_PATTERN.exec(text.trim());
  if (!match) return null;
  const amount = Number(match[1]);
  return { years: match[2] === "y" ? amount : 0, months: match[2] === "m" ? amount : 0, days: match[2] === "d" ? amount : 0 };
}

export function isZeroPeriod(period: RetentionPeriod) {
  return period.years === 0 && period.months === 0 && period.days === 0;
}

const RegionRuleSchema = z
  .object({
    keep: z.string().refine((value) => parsePeriod(value) !== null, 'a period such as "0d", "6m", "25m" or "5y"'),
    basis: z.string().trim().min(10, "cite the law or reason (at least 10 characters)"),
  })
  .strict()
  .transform((rule) => ({ keep: rule.keep, period: parsePeriod(rule.keep)!, basis: rule.basis }));

const CategorySchema = z
  .object({
    label: z.string().min(1),
    holds: z.string().min(1),
    countsFrom: z.enum(["record_date", "relationship_end", "debt_settled"]),
    retention: z.record(z.string(), RegionRuleSchema),
  })
  .strict()
  .superRefine((category, context) => {
    for (const region of allRegionCodes) {
      if (!category.retention[region]) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: ["retention"], message: `region ${region} (policies/regions.yaml) has no rule` });
      }
    }
    for (const region of Object.keys(category.retention)) {
      if (!allRegionCodes.includes(region as never)) {
        context.addIssue({ code: z.ZodIssueCode.custom, path: ["retention", region], message: `${region} is not a region of policies/regions.yaml` });
      }
    }
  });

export const RetentionPolicySchema = z
  .object({
    version: z.literal(1),
    categories: z.record(z.string(), CategorySchema),
  })
  .strict()
  .superRefine((policy, context) => {
    for (const name of retentionCategories) {
      if (!policy.categories[name]) context.addIssue({ code: z.ZodIssueCode.custom, path: ["categories"], message: `category ${name} is missing` });
    }
    for (const name of Object.keys(policy.categories)) {
      if (!(retentionCategories as readonly string[]).includes(name)) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["categories", name],
          message: `unknown category ${name}; Attest knows ${retentionCategories.join(", ")}`,
        });
      }
    }
    const personal = policy.categories.personal_data;
    if (personal) {
      for (const [region, rule] of Object.entries(personal.retention)) {
        // Identity data is erased on request; anything that must be kept belongs to another category.
        if (!isZeroPeriod(rule.period)) {
          context.addIssue({ code: z.ZodIssueCode.custom, path: ["categories", "personal_data", "retention", region, "keep"], message: "personal_data is never kept on erasure: use 0d" });
        }
      }
    }
  });

export type RetentionPolicy = z.infer<typeof RetentionPolicySchema>;
export type RetentionRule = RetentionPolicy["categories"][string]["retention"][string];

export const RETENTION_POLICY_FILE = "retention.yaml";

export const retentionPolicy: RetentionPolicy = loadPolicyFile(RETENTION_POLICY_FILE, RetentionPolicySchema);

/** SHA-256 of the policy file in force, so a plan and a certificate name the exact wording applied. */
export const retentionPolicySha256 = createHash("sha256")
  .update(fs.readFileSync(path.join(policiesDir, RETENTION_POLICY_FILE)))
  .digest("hex");
