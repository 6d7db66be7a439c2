import { z } from "zod";
import type { Role } from "~/generated/prisma/enums";
import { loadPolicyFile } from "~/utils/policy-file.server";

// policies/access.yaml as typed data. Validated at start-up: an unknown subject, action or field,
// or a role left out, stops the process with the line at fault.

export const modelSubjects = [
  "Decision",
  "Customer",
  "Review",
  "RuleSetVersion",
  "PrivacyRequest",
  "AuditEvent",
  "EvidencePack",
  "FraudOutcome",
  "StaffUser",
  "ApiToken",
  "SigningKey",
] as const;
export const capabilitySubjects = ["Dashboard", "Ledger"] as const;

export type ModelSubjectName = (typeof modelSubjects)[number];
export type SubjectName = ModelSubjectName | (typeof capabilitySubjects)[number];

export const actions = [
  "read",
  "create",
  "update",
  "export",
  // Decision: generate the customer notice (adverse action / review outcome); record a customer's contest.
  "notify",
  "contest",
  "claim",
  "decide",
  "approve",
  "assign",
  "submit",
  "backtest",
  "verify",
  "verifyIdentity",
  "extend",
  "refuse",
  "complete",
  "erase",
  "rectify",
  "restrict",
  "deactivate",
  "resetMfa",
  "revoke",
  "rotate",
] as const;
export type Action = (typeof actions)[number];

export const roles = [
  "compliance_officer",
  "regional_ops_manager",
  "fraud_analyst",
  "dpo",
  "auditor",
  "admin",
] as const satisfies readonly Role[];

const RuleSchema = z
  .object({
    subject: z.enum([...modelSubjects, ...capabilitySubjects]),
    actions: z.array(z.enum(actions)).min(1),
    conditions: z.record(z.unknown()).optional(),
    fields: z.array(z.string().min(1)).min(1).optional(),
    inverted: z.boolean().optional(),
  })
  .strict();

const RoleSchema = z
  .object({
    label: z.string().min(1),
    mfaRequired: z.boolean(),
    rules: z.array(RuleSchema),
  })
  .strict();

const AccessPolicySchema = z
  .object({
    version: z.literal(1),
    personalDataFields: z.array(z.string().min(1)).min(1),
    roles: z.object(Object.fromEntries(roles.map((role) => [role, RoleSchema])) as Record<Role, typeof RoleSchema>).strict(),
  })
  .strict()
  .superRefine((policy, context) => {
    for (const [role, definition] of Object.entries(policy.roles)) {
      definition.rules.forEach((rule, index) => {
        if (rule.subject === "Customer" && rule.fields) {
          const unknown = rule.fields.filter((field) => !customerFields.includes(field) && !policy.personalDataFields.includes(field));
          if (unknown.length > 0) {
            context.addIssue({
              code: z.ZodIssueCode.custom,
              path: ["roles", role, "rules", index, "fields"],
              message: `unknown Customer field(s): ${unknown.join(", ")}`,
            });
          }
        }
        if ((rule.subject === "Dashboard" || rule.subject === "Ledger") && rule.conditions) {
          context.addIssue({
            code: z.ZodIssueCode.custom,
            path: ["roles", role, "rules", index, "conditions"],
            message: `${rule.subject} is a capability, not a record: it takes no conditions`,
          });
        }
      });
    }
  });

const customerFields = ["id", "reference", "regionCode", "createdAt", "isRestricted", "erasedAt"];

export type AccessPolicy = z.infer<typeof AccessPolicySchema>;
export type RolePolicy = AccessPolicy["roles"][Role];

export const accessPolicy: AccessPolicy = loadPolicyFile("access.yaml", AccessPolicySchema);

export const personalDataFields = accessPolicy.personalDataFields;

export function roleLabel(role: Role) {
  return accessPolicy.roles[role].label;
}
