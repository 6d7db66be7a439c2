import { z } from "zod";
import { dateParamSchema, oneOf, regionParamSchema } from "~/components/data-table/url-state";
import { auditActions, type AuditAction } from "./actions";

// Search params of the ledger browser. Pure: the page builds its action filter from the catalogue.

export const auditActionNames = Object.keys(auditActions) as [AuditAction, ...AuditAction[]];

/** A ledger position: events are paged by their gapless sequence number, newest first. */
const seqSchema = z.string().regex(/^\d{1,18}$/, "must be a ledger sequence number");

export const AuditEventListQuerySchema = z
  .object({
    actor: z.string().max(254, "is too long").optional(),
    action: oneOf(auditActionNames).optional(),
    subject: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, "must be a subject type such as Decision")
      .optional(),
    subjectId: z.string().max(100, "is too long").optional(),
    region: regionParamSchema.optional(),
    from: dateParamSchema.optional(),
    to: dateParamSchema.optional(),
    after: seqSchema.optional(),
    before: seqSchema.optional(),
  })
  .refine((query) => !(query.after && query.before), { path: ["before"], message: "cannot be combined with after" })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ["to"], message: "must not be before from" });

export type AuditEventListQuery = z.infer<typeof AuditEventListQuerySchema>;

export const AuditSeqSchema = z.object({ seq: seqSchema });
