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

export const PrivacyRequestListQuerySchema = z.object({
  status: oneOf(["open", "closed", "all"] as const).default("open"),
  state: oneOf(privacyRequestStates).optional(),
  type: oneOf(privacyRequestTypes).optional(),
  region: regionParamSchema.optional(),
  // Requests whose requester has not started identity verification are noise until they do.
  unverified: oneOf(["show"] as const).optional(),
  sort: oneOf(privacyRequestSortKeys).default("dueAt"),
  order: sortOrderSchema.default("asc"),
  page: pageNumberSchema,
});

export type PrivacyRequestListQuery = z.infer<typeof PrivacyRequestListQuerySchema>;

export const PrivacyRequestIdSchema = z.object({ requestId: z.string().uuid() });
