import { z } from "zod";

// The forms of the erasure page (privacy.$requestId.erasure.tsx). Pure, so the page can show errors
// by field.

export const ErasureActionSchema = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("request_approval"),
    justification: z.string({ required_error: "Say why the plan is right (at least 10 characters)" }).trim().min(10, "Say why the plan is right (at least 10 characters)").max(1000),
  }),
  z.object({
    intent: z.literal("approve"),
    justification: z.string({ required_error: "Say why you approve (at least 5 characters)" }).trim().min(5, "Say why you approve (at least 5 characters)").max(1000),
  }),
  z.object({
    intent: z.literal("reject"),
    justification: z.string({ required_error: "Say what must change (at least 10 characters)" }).trim().min(10, "Say what must change (at least 10 characters)").max(1000),
  }),
  z.object({
    intent: z.literal("execute"),
    confirmReference: z.string({ required_error: "Type the customer reference to confirm" }).trim().min(1, "Type the customer reference to confirm"),
  }),
]);

export type ErasureActionInput = z.infer<typeof ErasureActionSchema>;

export const AccessExportActionSchema = z.object({
  intent: z.literal("generate"),
  // The export is what the customer receives: generating it can close the request at the same time.
  complete: z.literal("on").optional(),
});

export const ArtefactParamsSchema = z.object({ requestId: z.string().uuid(), artefactId: z.string().uuid() });

export const ArtefactPartSchema = z.enum(["file", "signature"]).default("file");
