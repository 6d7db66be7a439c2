import { z } from "zod";
import { loadPolicyFile } from "~/utils/policy-file.server";
import { decisionFeatureNames } from "./features";

// The reason-code catalogue (policies/reason-codes.yaml, DESIGN.md §8), validated at start-up.

export const reasonCodeCategories = [
  "credit_history",
  "affordability",
  "exposure",
  "identity",
  "age",
  "rule_set_limit",
  "fraud",
] as const;

export type ReasonCodeCategory = (typeof reasonCodeCategories)[number];

const codePrefixByCategory: Record<ReasonCodeCategory, string> = {
  credit_history: "CH",
  affordability: "AF",
  exposure: "EX",
  identity: "ID",
  age: "AG",
  rule_set_limit: "RS",
  fraud: "FR",
};

const CustomerTextSchema = z.object({
  en: z.string().min(1),
  sv: z.string().min(1),
  de: z.string().min(1),
  nl: z.string().min(1).optional(),
});

export type NoticeLanguage = keyof z.infer<typeof CustomerTextSchema>;

const ReasonCodeSchema = z
  .object({
    code: z.string().regex(/^[A-Z]{2}\d{2}$/, "two capital letters and two digits, such as CH01"),
    category: z.enum(reasonCodeCategories),
    description: z.string().min(1),
    customerText: CustomerTextSchema,
    disclosable: z.boolean(),
    regulations: z.array(z.string().min(1)).min(1),
    features: z.array(z.enum(decisionFeatureNames)).min(1),
  })
  .strict()
  .superRefine((reason, context) => {
    const prefix = codePrefixByCategory[reason.category];
    if (!reason.code.startsWith(prefix)) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["code"],
        message: `a ${reason.category} code starts with ${prefix}`,
      });
    }
    // Naming a fraud signal to the customer would tip off the fraudster.
    if (reason.category === "fraud" && reason.disclosable) {
      context.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["disclosable"],
        message: "fraud reasons must not be disclosable",
      });
    }
  });

export type ReasonCode = z.infer<typeof ReasonCodeSchema>;

export const ReasonCodeCatalogueSchema = z
  .object({
    version: z.literal(1),
    neutralFraudText: CustomerTextSchema,
    codes: z.array(ReasonCodeSchema).min(1),
  })
  .strict()
  .superRefine((catalogue, context) => {
    const seen = new Set<string>();
    catalogue.codes.forEach((reason, index) => {
      if (seen.has(reason.code)) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["codes", index, "code"],
          message: `${reason.code} is listed twice`,
        });
      }
      seen.add(reason.code);
    });
  });

export type ReasonCodeCatalogue = z.infer<typeof ReasonCodeCatalogueSchema>;

export const reasonCodeCatalogue: ReasonCodeCatalogue = loadPolicyFile("reason-codes.yaml", ReasonCodeCatalogueSchema);

export const reasonCodes: readonly ReasonCode[] = reasonCodeCatalogue.codes;

const reasonCodesByCode = new Map(reasonCodes.map((reason) => [reason.code, reason]));

export function findReasonCode(code: string): ReasonCode | undefined {
  return reasonCodesByCode.get(code);
}

/** The text a customer may read for a code: its own wording when disclosable, else the neutral one. */
export function getCustomerText(reason: ReasonCode, language: NoticeLanguage): string {
  const text = reason.disclosable ? reason.customerText : reasonCodeCatalogue.neutralFraudText;
  return text[language] ?? text.en;
}
