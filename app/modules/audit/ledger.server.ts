import type { Tx } from "~/utils/db.server";
import type { AuditAction } from "./actions";

// The single audit entry point (DESIGN.md §6). Every state change, every read of unmasked personal
// data and every export calls appendAuditEvent with the transaction that makes the change, so there
// is no change without its event and no event without its change.

export type AuditActorType = "staff" | "api_token" | "system" | "anonymous";

export interface AuditContext {
  actorType: AuditActorType;
  actorId: string | null;
  actorLabel: string | null;
  actorRole: string | null;
  requestId: string | null;
  ipAddress: string | null;
}

export interface AuditEventInput {
  action: AuditAction;
  subjectType: string;
  subjectId?: string | null;
  regionCode?: string | null;
  justification?: string | null;
  /** Before/after of the changed fields; never personal data in clear. */
  changes?: { before?: Record<string, unknown>; after?: Record<string, unknown> } | Record<string, unknown>;
  occurredAt?: Date;
}

export const systemAuditContext: AuditContext = {
  actorType: "system",
  actorId: null,
  actorLabel: "attest",
  actorRole: null,
  requestId: null,
  ipAddress: null,
};

/**
 * Appends one event inside `tx`. The sequence number comes from the ledger head row, whose row lock
 * serialises appends across every app instance until the transaction ends: numbers are gapless and
 * a rolled-back transaction takes its number with it.
 */
export async function appendAuditEvent(tx: Tx, context: AuditContext, event: AuditEventInput) {
  const [head] = await tx.$queryRaw<{ size: bigint }[]>`
    UPDATE audit_ledger_head SET size = size + 1 WHERE id = 1 RETURNING size`;
  if (!head) throw new Error("audit_ledger_head is missing: run `npm run db:migrate`");
  return tx.auditEvent.create({
    data: {
      seq: head.size,
      occurredAt: event.occurredAt ?? new Date(),
      actorType: context.actorType,
      actorId: context.actorId,
      actorLabel: context.actorLabel,
      actorRole: context.actorRole,
      action: event.action,
      subjectType: event.subjectType,
      subjectId: event.subjectId ?? null,
      regionCode: event.regionCode ?? null,
      justification: event.justification ?? null,
      changes: (event.changes ?? undefined) as never,
      requestId: context.requestId,
      ipAddress: context.ipAddress,
    },
    select: { seq: true, id: true },
  });
}
