import { db } from "~/utils/db.server";

// Test decisions live in the run's shared database: a file that adds some removes them again, so
// other files' counts of the fixture world stay true.

export async function removeTestDecisions(externalIdPrefix: string, customerReferencePrefix?: string) {
  const decisions = await db.decision.findMany({ where: { externalId: { startsWith: externalIdPrefix } }, select: { id: true } });
  const decisionIds = decisions.map((decision) => decision.id);
  await db.$transaction([
    db.review.deleteMany({ where: { decisionId: { in: decisionIds } } }),
    db.repaymentOutcome.deleteMany({ where: { decisionId: { in: decisionIds } } }),
    db.fraudOutcome.deleteMany({ where: { decisionId: { in: decisionIds } } }),
    db.decisionReason.deleteMany({ where: { decisionId: { in: decisionIds } } }),
    db.decision.deleteMany({ where: { id: { in: decisionIds } } }),
    ...(customerReferencePrefix ? [db.customer.deleteMany({ where: { reference: { startsWith: customerReferencePrefix } } })] : []),
  ]);
}
