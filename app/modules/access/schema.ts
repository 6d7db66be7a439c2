import { z } from "zod";

// Forms of the access module, shared by the browser (conform) and the server.

export const SignInSchema = z.object({
  email: z.string({ required_error: "Enter your work email" }).trim().email("Enter a valid email address").max(254),
  password: z.string({ required_error: "Enter your password" }).min(1, "Enter your password").max(1024),
  redirectTo: z.string().optional(),
});

export const TotpCodeSchema = z.object({
  code: z
    .string({ required_error: "Enter the 6-digit code from your authenticator app" })
    .trim()
    .regex(/^\d{3}\s?\d{3}$/, "The code is 6 digits, as your authenticator app shows it"),
});

export const TotpEnrolSchema = TotpCodeSchema.extend({
  secret: z.string().regex(/^[A-Z2-7]{32}$/, "The enrolment secret is invalid; reload the page to start again"),
});

export const roleOptions = [
  { value: "compliance_officer", label: "Compliance officer" },
  { value: "regional_ops_manager", label: "Regional operations manager" },
  { value: "fraud_analyst", label: "Fraud analyst" },
  { value: "dpo", label: "Data protection officer" },
  { value: "auditor", label: "Auditor" },
  { value: "admin", label: "Administrator" },
] as const;

export const regionCodes = ["SE", "DE", "NL", "UK", "US", "AU"] as const;

const StaffFields = {
  displayName: z.string({ required_error: "Enter the person's name" }).trim().min(2, "Enter the person's full name").max(120),
  role: z.enum(["compliance_officer", "regional_ops_manager", "fraud_analyst", "dpo", "auditor", "admin"], {
    required_error: "Choose a role",
    invalid_type_error: "Choose a role",
  }),
  regions: z.array(z.enum(regionCodes)).default([]),
};

function requireRegionsForRegionalRoles<T extends { role: string; regions: string[] }>(value: T, context: z.RefinementCtx) {
  if (value.role !== "admin" && value.regions.length === 0) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ["regions"], message: "Choose at least one region for this role" });
  }
}

export const CreateStaffUserSchema = z
  .object({
    ...StaffFields,
    email: z.string({ required_error: "Enter the work email" }).trim().toLowerCase().email("Enter a valid email address").max(254),
    password: z
      .string({ required_error: "Set an initial password" })
      .min(12, "Use at least 12 characters")
      .max(256, "Use at most 256 characters"),
  })
  .superRefine(requireRegionsForRegionalRoles);

export const UpdateStaffUserSchema = z.object(StaffFields).superRefine(requireRegionsForRegionalRoles);

export const StaffActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("update") }).merge(z.object(StaffFields)),
  z.object({ intent: z.literal("deactivate"), justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500) }),
  z.object({ intent: z.literal("reactivate"), justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500) }),
  z.object({ intent: z.literal("resetMfa"), justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500) }),
]);
