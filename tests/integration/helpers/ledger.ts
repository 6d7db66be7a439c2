import { db } from "~/utils/db.server";
import { isSealedPersonalData, openSealed } from "~/modules/audit/subject-keys.server";

// Reading the audit ledger the way an auditor would: by sequence, action and subject.

export async function ledgerSize() {
  const head = await db.auditLedgerHead.findUniqueOrThrow({ where: { id: 1 } });
  return Number(head.size);
}

/** Events appended after `sinceSeq`, oldest first. */
export async function eventsSince(sinceSeq: number) {
  return db.auditEvent.findMany({ where: { seq: { gt: BigInt(sinceSeq) } }, orderBy: { seq: "asc" } });
}

/** The before/after (or reason) an event recorded, for assertions. */
export function changesOf(event: { changes: unknown }) {
  return (event.changes ?? {}) as Record<string, Record<string, unknown> | string | undefined>;
}

/** An event as the JSON an export would carry (sequence numbers are bigint). */
export function serialized(value: unknown) {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item));
}

/** The personal data an event sealed under its subject's key, opened (null when it sealed none). */
export async function sealedOf(event: { changes: unknown }) {
  const sealed = (event.changes as { personal?: unknown } | null)?.personal;
  if (!isSealedPersonalData(sealed)) return null;
  return db.$transaction((tx) => openSealed(tx, sealed));
}
