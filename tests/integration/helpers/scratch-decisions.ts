import { db } from "~/utils/db.server";

// Decisions a test file makes for itself, and everything hanging off them, removed again afterwards so
// the shared fixture database looks the same to the files that count records (access-scoping).
// Ledger events about them stay: the ledger is append-only, and no other file counts those.

export function scratchDecisions() {
  const ids: string[] = [];
  const customerIds: string[] = [];
  return {
    track<T extends { id: string }>(decision: T): T {
      ids.push(decision.id);
      return decision;
    },
    trackCustomer<T extends { id: string }>(customer: T): T {
      customerIds.push(customer.id);
      return customer;
    },
    async removeAll() {
      const decisionId = { in: ids };
      await db.$transaction([
        db.review.deleteMany({ where: { decisionId } }),
        db.decisionNotice.deleteMany({ where: { decisionId } }),
        db.privacyRequest.deleteMany({ where: { decisionId } }),
        db.decision.deleteMany({ where: { id: decisionId } }),
        db.subjectDataKey.deleteMany({ where: { subjectId: { in: customerIds } } }),
        db.customer.deleteMany({ where: { id: { in: customerIds } } }),
      ]);
    },
  };
}
