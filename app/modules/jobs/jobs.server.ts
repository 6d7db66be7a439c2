import type { Actor } from "~/modules/access/actor.server";
import { notFound } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { db } from "~/utils/db.server";
import "./handlers.server";
import { jobRecordSelect, toJobRecord } from "./queue.server";
import { jobDefinitionOf, type JobState } from "./registry.server";
import { settleJob } from "./worker.server";

// Jobs as their requesters see them: progress for the page that asked, and cancellation. Who may see
// or cancel a job is its domain's decision (the definition's authorize, checked on the job's record);
// a job the viewer may not see answers exactly like a missing one.

export interface JobStatus {
  id: string;
  kind: string;
  state: JobState;
  progressDone: number;
  progressTotal: number | null;
  progressMessage: string | null;
  /** 0–100 when the total is known. */
  percent: number | null;
  error: string | null;
  attempt: number;
  maxAttempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  isCancelRequested: boolean;
  isFinished: boolean;
  canCancel: boolean;
}

const statusSelect = {
  ...jobRecordSelect,
  progressDone: true,
  progressTotal: true,
  progressMessage: true,
  error: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  cancelRequestedAt: true,
} as const;

const finishedStates: readonly JobState[] = ["succeeded", "failed", "cancelled"];

async function loadVisibleJob(actor: Actor, jobId: string, action: "read" | "cancel") {
  const row = /^[0-9a-f-]{36}$/i.test(jobId) ? await db.backgroundJob.findUnique({ where: { id: jobId }, select: statusSelect }) : null;
  const definition = row ? jobDefinitionOf(row.kind) : null;
  if (!row || !definition) throw notFound("That job");
  const job = toJobRecord(row);
  await definition.authorize(actor, job, action);
  return { row, job, definition };
}

async function isAllowed(check: () => Promise<unknown>) {
  try {
    await check();
    return true;
  } catch {
    return false;
  }
}

export async function getJobStatus(actor: Actor, jobId: string): Promise<JobStatus> {
  const { row, job, definition } = await loadVisibleJob(actor, jobId, "read");
  const isFinished = finishedStates.includes(job.state);
  const total = row.progressTotal === null ? null : Number(row.progressTotal);
  const done = Number(row.progressDone);
  return {
    id: row.id,
    kind: row.kind,
    state: job.state,
    progressDone: done,
    progressTotal: total,
    progressMessage: row.progressMessage,
    percent: job.state === "succeeded" ? 100 : total ? Math.min(100, Math.floor((100 * done) / total)) : null,
    error: row.error,
    attempt: row.attempt,
    maxAttempts: row.maxAttempts,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    isCancelRequested: row.cancelRequestedAt !== null,
    isFinished,
    canCancel: !isFinished && row.cancelRequestedAt === null && (await isAllowed(async () => definition.authorize(actor, job, "cancel"))),
  };
}

/**
 * Cancels a job: a queued one at once, a running one at its worker's next heartbeat (the worker stops
 * between units of work and records the cancellation). Audited in the same transaction.
 */
export async function cancelJob(actor: Actor, jobId: string) {
  await loadVisibleJob(actor, jobId, "cancel");
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ state: JobState }[]>`SELECT state::text AS state FROM background_job WHERE id = ${jobId}::uuid FOR UPDATE`;
    const row = await tx.backgroundJob.findUniqueOrThrow({ where: { id: jobId }, select: statusSelect });
    const job = toJobRecord(row);
    if (!locked || finishedStates.includes(locked.state)) return { outcome: "already_finished" as const, state: job.state };
    if (row.cancelRequestedAt) return { outcome: "already_requested" as const, state: job.state };
    const now = new Date();
    await tx.backgroundJob.update({ where: { id: jobId }, data: { cancelRequestedAt: now, cancelRequestedById: actor.user.id } });
    if (job.state === "queued") {
      // Its delivery stays in pg-boss; the worker that fetches it finds the job no longer queued.
      await settleJob(tx, jobDefinitionOf(job.kind), job, { state: "cancelled", reason: `cancelled by ${actor.user.displayName} before it started` }, actor.audit);
      return { outcome: "cancelled" as const, state: "cancelled" as const };
    }
    await appendAuditEvent(tx, actor.audit, {
      action: "job.cancel_requested",
      subjectType: "BackgroundJob",
      subjectId: job.id,
      regionCode: job.regionCode,
      changes: { kind: job.kind, subject: job.subjectType ? { type: job.subjectType, id: job.subjectId } : null, attempt: job.attempt },
    });
    return { outcome: "cancel_requested" as const, state: job.state };
  });
}

/** The most recent job of a kind for a record (the page that shows the record shows its job). */
export async function latestJobIdFor(kind: string, subjectType: string, subjectId: string) {
  const row = await db.backgroundJob.findFirst({ where: { kind, subjectType, subjectId }, orderBy: { createdAt: "desc" }, select: { id: true } });
  return row?.id ?? null;
}
