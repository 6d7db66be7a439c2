import { db, type Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { appendAuditEvent, systemAuditContext, type AuditContext } from "~/modules/audit/ledger.server";
import type { ErasableRecordType, ErasurePlan, PlanRecord } from "./erasure-plan";

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

/** The records of a retained group, as the approved (and executed) plan listed them. */
function groupRecords(plan: ErasurePlan | null, retained: { category: string; retainUntil: Date; legalBasis: string }): ErasableRecord[] | null {
  const planCategory = plan?.categories.find((entry) => entry.category === retained.category);
  // Two groups of one category may end the same day on different bases: the basis tells them apart.
  const group = planCategory?.kept.find((entry) => new Date(entry.retainUntil).getTime() === retained.retainUntil.getTime() && entry.basis === retained.legalBasis);
  return group ? (group.records as ErasableRecord[]) : null;
}

/**
 * Erases every retained group whose period ended by `now`, each in its own transaction with its audit
 * event; groups not yet due are left untouched. Concurrent sweeps (several app instances) take turns.
 */
export async function runRetentionSweep(now: Date, context: AuditContext = systemAuditContext): Promise<RetentionSweepResult> {
  const due = await db.retainedRecord.findMany({
    where: { erasedAt: null, retainUntil: { lte: now } },
    orderBy: [{ retainUntil: "asc" }, { createdAt: "asc" }],
    select: { id: true },
  });
  const result: RetentionSweepResult = { erased: [], skipped: [] };
  for (const { id } of due) {
    const outcome = await db.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RETENTION_SWEEP_LOCK}) AS locked`;
      if (!lock?.locked) return { skipped: "another sweep is running" };
      // Re-read under the lock: another instance may have erased it since the list was read.
      const retained = await tx.retainedRecord.findUnique({ where: { id }, include: { request: { select: { erasurePlan: true } } } });
      if (!retained || retained.erasedAt || retained.retainUntil > now) return { skipped: "no longer due" };
      const records = groupRecords(retained.request?.erasurePlan as ErasurePlan | null, retained);
      if (!records) return { skipped: `the approved plan no longer lists the ${retained.category} group kept until ${retained.retainUntil.toISOString()}` };
      const counts = await eraseSubjectRecords(tx, records);
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
