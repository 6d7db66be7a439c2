import type { Prisma } from "~/generated/prisma/client";

// GDPR Art. 18: once processing is restricted, a customer's personal data is stored but not used.
// Processing views (decision lists and exports, dashboards, evidence packs) exclude these customers or
// withhold their personal data; these fragments are the one definition every module applies.

/** `where` fragment for customers whose data may be processed. */
export const restrictedCustomerFilter = { isRestricted: false } satisfies Prisma.CustomerWhereInput;

/** `where` fragment for decisions (or any row with a `customer` relation) of such customers. */
export const unrestrictedSubjectFilter = { customer: { is: restrictedCustomerFilter } } satisfies Prisma.DecisionWhereInput;

/** Whether a customer's personal data must be withheld from a processing view. */
export function isProcessingRestricted(customer: { isRestricted: boolean }) {
  return customer.isRestricted;
}
