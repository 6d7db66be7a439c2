import { z } from "zod";
import { oneOf, pageNumberSchema, regionParamSchema, sortOrderSchema } from "~/components/data-table/url-state";

// Search params of the privacy request list. Pure: the page builds its filter bar from these lists.

export const privacyRequestTypes = ["access", "erasure", "rectification", "restriction", "objection", "portability", "contest"] as const;
export const privacyRequestStates = [
  "received",
  "identity_pending",
  "in_progress",
  "scope_clarification",
  "awaiting_approval",
  "completed",
  "refused",
] as const;
export const openPrivacyRequestStates = privacyRequestStates.filter((state) => state !== "completed" && state !== "refused");
export const privacyRequestSortKeys = ["dueAt", "receivedAt", "reference"] as const;

/** Types a customer can ask for through the form or the API (contests arrive with their decision). */
export const intakeRequestTypes = ["access", "erasure", "rectification", "restriction", "objection", "portability"] as const;
export const intakeChannels = ["web_form", "email", "post", "phone", "in_app", "api"] as const;
export const regionCodes = ["SE", "DE", "NL", "UK", "US", "AU"] as const;

export const PrivacyRequestListQuerySchema = z.object({
  status: oneOf(["open", "closed", "all"] as const).default("open"),
  state: oneOf(privacyRequestStates).optional(),
  type: oneOf(privacyRequestTypes).optional(),
  region: regionParamSchema.optional(),
  // Requests whose requester has not started identity verification are noise until they do.
  unverified: oneOf(["show"] as const).optional(),
  assignee: oneOf(["me", "none"] as const).optional(),
  q: z.string().trim().max(64, "is too long").optional(),
  sort: oneOf(privacyRequestSortKeys).default("dueAt"),
  order: sortOrderSchema.default("asc"),
  page: pageNumberSchema,
});

export type PrivacyRequestListQuery = z.infer<typeof PrivacyRequestListQuerySchema>;

export const PrivacyRequestIdSchema = z.object({ requestId: z.string().uuid() });

const dayString = (label: string) =>
  z
    .string({ required_error: `Enter ${label}` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, `Enter ${label} as a date like 2026-01-31`)
    .refine((value) => !Number.isNaN(new Date(`${value}T00:00:00Z`).getTime()), "That is not a real date");

const optionalText = (max: number, message: string) => z.string().trim().max(max, message).optional();

// ── Intake: the staff form and POST /api/v1/privacy-requests share these fields ─────────────────

const intakeFields = {
  type: z.enum(intakeRequestTypes, { required_error: "Choose the type of request", invalid_type_error: `type must be one of ${intakeRequestTypes.join(", ")}` }),
  regionCode: z.enum(regionCodes, { required_error: "Choose the region", invalid_type_error: `regionCode must be one of ${regionCodes.join(", ")}` }),
  customerReference: optionalText(64, "A customer reference is at most 64 characters"),
  requesterEmail: z.string().trim().toLowerCase().email("Enter a valid email address").max(254).optional(),
  requesterName: optionalText(200, "At most 200 characters"),
  details: optionalText(5000, "At most 5,000 characters"),
};

function requireSubject(value: { customerReference?: string; requesterEmail?: string }, context: z.RefinementCtx) {
  if (!value.customerReference && !value.requesterEmail) {
    context.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["customerReference"],
      message: "Give the customer reference or the requester's email, so the request can be matched to a customer",
    });
  }
}

export const PrivacyIntakeFormSchema = z
  .object({
    ...intakeFields,
    channel: z.enum(intakeChannels, { required_error: "Choose how the request arrived" }),
    // The day the request arrived, in the region's calendar (a letter may be logged days later).
    receivedOn: dayString("the day the request arrived").optional(),
  })
  .superRefine(requireSubject);

export const PrivacyIntakeApiSchema = z
  .object({
    ...intakeFields,
    channel: z.enum(intakeChannels).default("api"),
    receivedAt: z.string().datetime({ offset: true, message: "receivedAt must be an ISO 8601 date-time such as 2026-11-28T09:15:00Z" }).optional(),
  })
  .strict()
  .superRefine(requireSubject);

export type PrivacyIntakeInput = Omit<z.infer<typeof PrivacyIntakeFormSchema>, "receivedOn"> & { receivedOn?: string; receivedAt?: Date };

// ── Workflow on one request: one form per intent, each carrying the version it was shown ──────────

export const identityMethods = {
  account_session: "Request made from the customer's signed-in account",
  email_on_file: "Reply from the email address on file",
  knowledge_check: "Questions only the customer can answer (recent orders, amounts)",
  document_sighted: "Identity document seen on a video call or in person (no copy kept)",
  postal_letter: "Letter to the postal address on file",
} as const;

export const identityChecks = {
  name_matches: "Name matches",
  email_matches: "Email matches the address on file",
  date_of_birth_matches: "Date of birth matches",
  address_matches: "Postal address matches",
  recent_order_confirmed: "A recent order confirmed",
  phone_code_confirmed: "One-time code to the phone on file confirmed",
} as const;

type Keys<T> = [keyof T & string, ...(keyof T & string)[]];

const version = z.coerce.number({ invalid_type_error: "The form is out of date; reload the page" }).int().min(1);
const reason = (what: string) =>
  z.string({ required_error: `Give the reason for the ${what}` }).trim().min(10, `Give the reason for the ${what} (at least 10 characters)`).max(2000);

export const rectifiableFields = ["fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city", "country"] as const;

export const PrivacyRequestActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("matchCustomer"), version, customerReference: z.string({ required_error: "Enter the customer reference" }).trim().min(1).max(64) }),
  z.object({ intent: z.literal("requestIdentity"), version }),
  z.object({
    intent: z.literal("verifyIdentity"),
    version,
    method: z.enum(Object.keys(identityMethods) as Keys<typeof identityMethods>, { required_error: "Choose how identity was checked" }),
    checks: z
      .array(z.enum(Object.keys(identityChecks) as Keys<typeof identityChecks>), { required_error: "Tick the checks that were made" })
      .min(1, "Tick the checks that were made"),
    result: z.enum(["verified", "failed"], { required_error: "Choose the result" }),
    // UK GDPR Art. 12A: the day the identity information (and any fee) arrived, apart from the day it was checked.
    informationReceivedOn: dayString("the day the identity information arrived").optional(),
    feeReceivedOn: dayString("the day the fee arrived").optional(),
  }),
  z.object({ intent: z.literal("assign"), version, assigneeId: z.string({ required_error: "Choose who works the request" }).uuid("Choose who works the request") }),
  z.object({ intent: z.literal("note"), version, body: z.string({ required_error: "Write the note" }).trim().min(3, "Write the note (at least 3 characters)").max(5000) }),
  z.object({
    intent: z.literal("extend"),
    version,
    extendBy: z.coerce.number({ required_error: "Choose how far to extend", invalid_type_error: "Choose how far to extend" }).int().min(1, "Choose how far to extend"),
    reason: z.string().trim().max(2000).optional(),
    notifiedOn: dayString("the day the requester was told").optional(),
  }),
  z.object({ intent: z.literal("pause"), version, reason: reason("pause") }),
  z.object({ intent: z.literal("resume"), version }),
  z.object({ intent: z.literal("proposeRefusal"), version, reason: reason("refusal") }),
  z.object({ intent: z.literal("approveRefusal"), version }),
  z.object({ intent: z.literal("rejectRefusal"), version, reason: reason("rejection") }),
  z.object({ intent: z.literal("complete"), version, note: z.string({ required_error: "Say how the request was answered" }).trim().min(5, "Say how the request was answered (at least 5 characters)").max(2000) }),
  z.object({
    intent: z.literal("rectify"),
    version,
    fullName: optionalText(200, "At most 200 characters"),
    email: z.string().trim().toLowerCase().email("Enter a valid email address").max(254).optional(),
    phone: z.string().trim().regex(/^\+?[0-9 ()-]{6,24}$/, "Enter a phone number such as +46 8 555 0100").optional(),
    dateOfBirth: dayString("the date of birth").optional(),
    street: optionalText(200, "At most 200 characters"),
    postalCode: optionalText(20, "At most 20 characters"),
    city: optionalText(100, "At most 100 characters"),
    country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, "Enter a two-letter country code such as SE").optional(),
  }),
  z.object({ intent: z.literal("restrict"), version, reason: reason("restriction") }),
  z.object({ intent: z.literal("liftRestriction"), version, reason: reason("lifting") }),
  z.object({
    intent: z.literal("recordObjection"),
    version,
    grounds: z.string({ required_error: "Record the grounds the customer gave" }).trim().min(10, "Record the grounds the customer gave (at least 10 characters)").max(2000),
    routeToId: z.string({ required_error: "Choose who handles the objection" }).uuid("Choose who handles the objection"),
  }),
]);

export type PrivacyRequestAction = z.infer<typeof PrivacyRequestActionSchema>;
