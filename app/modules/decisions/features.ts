import { z } from "zod";

// The input features a decision model scores, exactly as stored in decision.features. Reason codes
// name the features they derive from, so a notice only cites factors the model actually saw
// (DESIGN.md §8). Amounts are in the decision's currency.

export const deviceRiskLevels = ["low", "medium", "high"] as const;

export const merchantCategories = [
  "fashion",
  "electronics",
  "home",
  "beauty",
  "sports",
  "travel",
  "entertainment",
] as const;

export const DecisionFeaturesSchema = z
  .object({
    age: z.number().int().min(0).max(120),
    orderAmount: z.number().nonnegative().optional(),
    requestedLimit: z.number().nonnegative().optional(),
    merchantCategory: z.enum(merchantCategories).optional(),
    existingExposure: z.number().nonnegative().optional(),
    bureauScore: z.number().int().min(0).max(999).nullable().optional(),
    creditHistoryMonths: z.number().int().nonnegative().optional(),
    previousDelinquencies: z.number().int().nonnegative().optional(),
    recentCreditInquiries: z.number().int().nonnegative().optional(),
    internalLatePayments: z.number().int().nonnegative().optional(),
    incomeVerified: z.boolean().optional(),
    verifiedMonthlyIncome: z.number().nonnegative().nullable().optional(),
    monthsAtAddress: z.number().int().nonnegative().optional(),
    identityVerified: z.boolean().optional(),
    accountAgeMonths: z.number().int().nonnegative().optional(),
    // Consortium fraud score from the upstream screening service, before our own fraud model.
    fraudScore: z.number().min(0).max(1).optional(),
    deviceRisk: z.enum(deviceRiskLevels).optional(),
    velocity24h: z.number().int().nonnegative().optional(),
    shippingBillingMismatch: z.boolean().optional(),
    emailAgeDays: z.number().int().nonnegative().optional(),
  })
  .strict();

export type DecisionFeatures = z.infer<typeof DecisionFeaturesSchema>;

export type DecisionFeatureName = keyof DecisionFeatures;

export const decisionFeatureNames = Object.keys(DecisionFeaturesSchema.shape) as [
  DecisionFeatureName,
  ...DecisionFeatureName[],
];
