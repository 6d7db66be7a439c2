import { db, type Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { appendAuditEvent, systemAuditContext, type AuditContext } from "~/modules/audit/ledger.server";
import { deletePersonalData } from "~/modules/customers/personal-data.server";
import { destroySubjectKeys, vacuumKeyTables } from "~/modules/customers/subject-keys.server";
import { endOfDebtRetention, outstandingDebtsOf, type ErasableRecordType, type ErasurePlan, type PlanRecord } from "./erasure-plan";
import { parsePeriod } from "./retention-policy.server";

// Records an erasure had to keep (policies/retention.yaml) are erased by this job once their period
// ends: one RetainedRecord per kept group of the approved plan, whose records the plan lists. The job
// runs hourly in the background worker and as `npm run retention:sweep`; `now` is a parameter so tests
// (and a back-dated re-run) control the clock.

const RETENTION_SWEEP_LOCK = 7_240_417; // pg advisory lock key: "one retention sweep at a time"

type ErasableRecord = PlanRecord & { type: ErasableRecordType };

/**
 * Deletes a subject's records and what hangs off them, dependants first so no foreign key is left
 * dangling: reviews, repayments, fraud reports, notices and reasons go with their decision.
 */
export async function eraseSubjectRecords(tx: Tx, records: ErasableRecord[]) {
  const idsOf = (type: ErasableRecordType) => records.filter((record) => record.type === type).map((record) => record.id);
  const requestIds = idsOf("privacy_request");
  const decisionIds = idsOf("decision");
  const counts = { privacy_request: 0, review: 0, repayment: 0, fraud_outcome: 0, decision: 0 };
  if (requestIds.length > 0) {
    await tx.review.updateMany({ where: { privacyRequestId: { in: requestIds } }, data: { privacyRequestId: null } });
    await tx.privacyRequest.updateMany({ where: { duplicateOfId: { in: requestIds } }, data: { duplicateOfId: null } });
    counts.privacy_request = (await tx.privacyRequest.deleteMany({ where: { id: { in: requestIds } } })).count;
  }
  counts.review = (await tx.review.deleteMany({ where: { OR: [{ id: { in: idsOf("review") } }, { decisionId: { in: decisionIds } }] } })).count;
  counts.repayment = (await tx.repaymentOutcome.deleteMany({ where: { OR: [{ id: { in: idsOf("repayment") } }, { decisionId: { in: decisionIds } }] } })).count;
  counts.fraud_outcome = (await tx.fraudOutcome.deleteMany({ where: { OR: [{ id: { in: idsOf("fraud_outcome") } }, { decisionId: { in: decisionIds } }] } })).count;
  if (decisionIds.length > 0) {
    await tx.decisionNotice.deleteMany({ where: { decisionId: { in: decisionIds } } });
    await tx.privacyRequest.updateMany({ where: { decisionId: { in: decisionIds } }, data: { decisionId: null } });
    counts.decision = (await tx.decision.deleteMany({ where: { id: { in: decisionIds } } })).count;
  }
  return counts;
}

export interface RetentionSweepResult {
  erased: { retainedRecordId: string; customerId: string; category: string; retainUntil: string; records: number }[];
  skipped: { retainedRecordId: string; reason: string }[];
}

/** The kept group of the approved (and executed) plan a retained record stands for. */
function planGroupOf(plan: ErasurePlan | null, retained: { category: string; retainUntil: Date | null; untilDebtSettledKeep: string | null; legalBasis: string }) {
  const planCategory = plan?.categories.find((entry) => entry.category === retained.category);
  // Two groups of one category may end the same day on different bases: the basis tells them apart. A
  // group kept for a debt got its date only when the debt ended.
  return planCategory?.kept.find(
    (entry) =>
      entry.basis === retained.legalBasis &&
      (retained.untilDebtSettledKeep ? Boolean(entry.untilDebtSettled) : entry.retainUntil !== null && new Date(entry.retainUntil).getTime() === retained.retainUntil?.getTime()),
  );
}

/** The records of a retained group, as the approved (and executed) plan listed them. */
function groupRecords(plan: ErasurePlan | null, retained: { category: string; retainUntil: Date | null; untilDebtSettledKeep: string | null; legalBasis: string }): PlanRecord[] | null {
  return planGroupOf(plan, retained)?.records ?? null;
}

/**
 * Identity kept for a debt (GDPR Art. 17(3)(b),(e)) gets its erasure date once every debt it was kept
 * for is settled or written off: the latest settling observation plus the period policies/retention.yaml
 * gave it. Each in its own transaction with its audit event.
 */
export async function settleDebtHolds(now: Date, context: AuditContext = systemAuditContext) {
  const holds = await db.retainedRecord.findMany({
    where: { erasedAt: null, retainUntil: null, untilDebtSettledKeep: { not: null } },
    include: { request: { select: { erasurePlan: true } } },
  });
  const settled: { retainedRecordId: string; settledAt: string; retainUntil: string }[] = [];
  for (const hold of holds) {
    const group = planGroupOf(hold.request?.erasurePlan as ErasurePlan | null, hold);
    const period = parsePeriod(hold.untilDebtSettledKeep!);
    if (!group?.untilDebtSettled || !period) continue;
    const decisionIds = group.untilDebtSettled.debts.map((debt) => debt.decisionId);
    const observations = await db.repaymentOutcome.findMany({
      where: { decisionId: { in: decisionIds }, observedAt: { lte: now } },
      select: { id: true, decisionId: true, observedAt: true, status: true, outstandingAmount: true },
    });
    const decisions = decisionIds.map((id) => ({ id, currency: "" }));
    if (outstandingDebtsOf(decisions, observations).length > 0) continue;
    // Every debt's latest observation settles it (or its records are gone): it ended with the latest one.
    const settledAt = new Date(Math.max(...observations.map((observation) => observation.observedAt.getTime()), hold.createdAt.getTime()));
    const retainUntil = endOfDebtRetention(settledAt, period);
    await db.$transaction(async (tx) => {
      const updated = await tx.retainedRecord.updateMany({ where: { id: hold.id, retainUntil: null, erasedAt: null }, data: { debtSettledAt: settledAt, retainUntil } });
      if (updated.count === 0) return;
      await appendAuditEvent(tx, context, {
        action: "retained_record.debt_settled",
        subjectType: "Customer",
        subjectId: hold.customerId,
        regionCode: hold.regionCode,
        justification: `The debt the identity was kept for was settled or written off; kept ${hold.untilDebtSettledKeep} more (${hold.legalBasis})`,
        changes: { retainedRecordId: hold.id, category: hold.category, debtSettledAt: settledAt.toISOString(), retainUntil: retainUntil.toISOString() },
      });
      settled.push({ retainedRecordId: hold.id, settledAt: settledAt.toISOString(), retainUntil: retainUntil.toISOString() });
    });
  }
  return settled;
}

/**
 * Erases every retained group whose period ended by `now`, each in its own transaction with its audit
 * event; groups not yet due are left untouched. Concurrent sweeps (several app instances) take turns.
 */
export async function runRetentionSweep(now: Date, context: AuditContext = systemAuditContext): Promise<RetentionSweepResult> {
  await settleDebtHolds(now, context);
  const due = await db.retainedRecord.findMany({
    where: { erasedAt: null, retainUntil: { lte: now } },
    orderBy: [{ retainUntil: "asc" }, { createdAt: "asc" }],
    select: { id: true },
  });
  const result: RetentionSweepResult = { erased: [], skipped: [] };
  let hasDestroyedKeys = false;
  for (const { id } of due) {
    const outcome = await db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RETENTION_SWEEP_LOCK}) AS locked`;
      if (!lock?.locked) return { skipped: "another sweep is running" };
      // Re-read under the lock: another instance may have erased it since the list was read.
      const retained = await tx.retainedRecord.findUnique({ where: { id }, include: { request: { select: { erasurePlan: true } } } });
      if (!retained || retained.erasedAt || !retained.retainUntil || retained.retainUntil > now) return { skipped: "no longer due" };
      const records = groupRecords(retained.request?.erasurePlan as ErasurePlan | null, retained);
      if (!records) return { skipped: `the approved plan no longer lists the ${retained.category} group kept until ${retained.retainUntil.toISOString()}` };
      const counts: Record<string, number> = await eraseSubjectRecords(tx, records.filter((record): record is ErasableRecord => record.type !== "personal_data"));
      if (records.some((record) => record.type === "personal_data")) {
        // Identity kept for a debt: the personal data and the data key that encrypts it go now.
        counts.personal_data = (await deletePersonalData(tx, retained.customerId)) ? 1 : 0;
        await destroySubjectKeys(tx, retained.customerId, { data: true, ledger: true }, now);
        hasDestroyedKeys = true;
      }
      await tx.retainedRecord.update({ where: { id }, data: { erasedAt: now, restricted: false } });
      await appendAuditEvent(tx, context, {
        action: "retained_record.erased",
        subjectType: "Customer",
        subjectId: retained.customerId,
        regionCode: retained.regionCode,
        justification: `Retention period ended (${retained.legalBasis})`,
        changes: { retainedRecordId: id, category: retained.category, retainUntil: retained.retainUntil.toISOString(), erased: counts },
      });
      return { erased: { retainedRecordId: id, customerId: retained.customerId, category: retained.category, retainUntil: retained.retainUntil.toISOString(), records: records.length } };
    });
    if ("erased" in outcome && outcome.erased) result.erased.push(outcome.erased);
    else result.skipped.push({ retainedRecordId: id, reason: outcome.skipped ?? "unknown" });
  }
  if (hasDestroyedKeys) await vacuumKeyTables(db, ["subject_data_key", "customer_personal_data"]);
  return result;
}

/** Hourly sweep in the background worker; errors are logged, never fatal. */
export function startRetentionWorker(intervalMs = 3_600_000) {
  let isRunning = false;
  const tick = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      const result = await runRetentionSweep(new Date());
      if (result.erased.length > 0) logger.info(`retention sweep erased ${result.erased.length} retained group(s)`);
      for (const skipped of result.skipped) logger.warn(`retention sweep skipped ${skipped.retainedRecordId}: ${skipped.reason}`);
    } catch (error) {
      logger.error({ err: error }, "retention sweep failed");
    } finally {
      isRunning = false;
    }
  };
  const interval = setInterval(() => void tick(), intervalMs);
  interval.unref();
  void tick();
  return () => clearInterval(interval);
}
