import PgBoss from "pg-boss";
import { appendAuditEvent, systemAuditContext, type AuditContext } from "~/modules/audit/ledger.server";
import { databaseUrl, db, isSingleSessionDatabase, type Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { queueOptions } from "./install.server";
import { JOB_QUEUE_SCHEMA } from "./kinds";
import { attemptTimeoutMs, dispatchJob, jobRecordSelect, toJobRecord } from "./queue.server";
import { JobCancelledError, jobDefinitionOf, registeredJobDefinitions, type JobContext, type JobDefinition, type JobRecord } from "./registry.server";

// Running jobs (ADR 008). pg-boss hands each delivery to one worker across every app instance; the
// worker then takes the job by moving its row from queued to running under a new attempt number, and
// proves it is alive with a heartbeat. A job whose heartbeat stops (the instance was killed) is
// restarted from the start by any instance's supervisor, or fails with the reason once its attempts
// are spent. Every write of a worker is conditional on its attempt, so a worker presumed dead can
// never overwrite its successor, and a job ends exactly once.

type Settlement = { state: "failed" | "cancelled"; reason: string };

function messageOf(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}

function jobEvent(job: JobRecord, action: "job.succeeded" | "job.failed" | "job.cancelled" | "job.restarted", after: Record<string, unknown>) {
  return {
    action,
    subjectType: "BackgroundJob",
    subjectId: job.id,
    regionCode: job.regionCode,
    changes: { kind: job.kind, subject: job.subjectType ? { type: job.subjectType, id: job.subjectId } : null, attempt: job.attempt, after },
  } as const;
}

/** Locks the job row and tells whether `attempt` still holds it (running, not taken over). */
async function lockHeldJob(tx: Tx, job: JobRecord) {
  const [row] = await tx.$queryRaw<{ attempt: number; state: string; cancel_requested_at: Date | null }[]>`
    SELECT attempt, state::text AS state, cancel_requested_at FROM background_job WHERE id = ${job.id}::uuid FOR UPDATE`;
  if (!row || row.attempt !== job.attempt || row.state !== "running") return null;
  return row;
}

/** Ends a job as failed or cancelled with its domain's own record of it, in one transaction. */
export async function settleJob(tx: Tx, definition: JobDefinition<unknown> | null, job: JobRecord, outcome: Settlement, context: AuditContext = systemAuditContext) {
  await tx.backgroundJob.update({
    where: { id: job.id },
    data: { state: outcome.state, error: outcome.reason, finishedAt: new Date() },
  });
  await definition?.onSettled?.(tx, job, outcome);
  await appendAuditEvent(tx, context, jobEvent(job, outcome.state === "failed" ? "job.failed" : "job.cancelled", { state: outcome.state, reason: outcome.reason }));
}

async function settleHeldJob(definition: JobDefinition<unknown>, job: JobRecord, outcome: Settlement) {
  await db.$transaction(async (tx) => {
    if (await lockHeldJob(tx, job)) await settleJob(tx, definition, job, outcome);
  });
}

/** Gives a job back to the queue for a later attempt (this instance is shutting down). */
async function releaseHeldJob(definition: JobDefinition<unknown>, job: JobRecord) {
  await db.$transaction(async (tx) => {
    if (!(await lockHeldJob(tx, job))) return;
    await tx.backgroundJob.update({ where: { id: job.id }, data: { state: "queued", heartbeatAt: null } });
    await dispatchJob(tx, definition as JobDefinition<never>, job.id);
    await appendAuditEvent(tx, systemAuditContext, jobEvent(job, "job.restarted", { state: "queued", reason: "the app instance running it shut down" }));
  });
}

/** Takes a delivered job: queued → running under the next attempt number. Null when it is not queued any more. */
async function claimJob(jobId: string) {
  const rows = await db.$queryRaw<{ id: string }[]>`
    UPDATE background_job
       SET state = 'running', attempt = attempt + 1, started_at = COALESCE(started_at, now()), heartbeat_at = now()
     WHERE id = ${jobId}::uuid AND state = 'queued'
    RETURNING id`;
  if (rows.length === 0) return null;
  return toJobRecord(await db.backgroundJob.findUniqueOrThrow({ where: { id: jobId }, select: jobRecordSelect }));
}

export async function runJobAttempt(definition: JobDefinition<unknown>, jobId: string, running: Map<string, AbortController>) {
  const claimed = await claimJob(jobId);
  if (!claimed) return;
  const parsed = definition.input.safeParse(claimed.input);
  if (!parsed.success) {
    await settleHeldJob(definition, claimed, { state: "failed", reason: `its input is no longer valid: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}` });
    return;
  }
  const job: JobRecord = { ...claimed, input: parsed.data };
  const controller = new AbortController();
  running.set(job.id, controller);
  const progress = { done: 0, total: null as number | null, message: null as string | null, isDirty: false };
  let isSucceeded = false;

  const beat = async () => {
    const update = progress.isDirty
      ? { progressDone: BigInt(Math.round(progress.done)), progressTotal: progress.total === null ? null : BigInt(Math.round(progress.total)), progressMessage: progress.message }
      : {};
    progress.isDirty = false;
    const rows = await db.$queryRaw<{ cancel_requested_at: Date | null }[]>`
      UPDATE background_job SET heartbeat_at = now() WHERE id = ${job.id}::uuid AND attempt = ${job.attempt} AND state = 'running'
      RETURNING cancel_requested_at`;
    if (rows.length === 0) return controller.abort(new JobCancelledError("lost"));
    if (Object.keys(update).length > 0) await db.backgroundJob.updateMany({ where: { id: job.id, attempt: job.attempt, state: "running" }, data: update });
    if (rows[0]!.cancel_requested_at) controller.abort(new JobCancelledError("cancelled"));
  };
  const heartbeat = setInterval(() => void beat().catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, "job heartbeat failed")), env.JOB_HEARTBEAT_MS);
  const timeout = setTimeout(() => controller.abort(new JobCancelledError("timeout")), attemptTimeoutMs(definition));

  const context: JobContext = {
    signal: controller.signal,
    reportProgress(done, total, message) {
      progress.done = done;
      if (total !== undefined) progress.total = total;
      if (message !== undefined) progress.message = message;
      progress.isDirty = true;
    },
    throwIfCancelled() {
      if (controller.signal.aborted) throw controller.signal.reason;
    },
    async complete(write, result) {
      return db.$transaction(
        async (tx) => {
          const held = await lockHeldJob(tx, job);
          if (!held) throw new JobCancelledError("lost");
          if (held.cancel_requested_at) throw new JobCancelledError("cancelled");
          const value = await write(tx);
          await tx.$executeRaw`
            UPDATE background_job
               SET state = 'succeeded', finished_at = now(), heartbeat_at = now(), error = NULL,
                   result = ${result === undefined ? null : JSON.stringify(result)}::jsonb,
                   progress_done = COALESCE(progress_total, ${BigInt(Math.round(progress.done))}), progress_message = ${progress.message}
             WHERE id = ${job.id}::uuid`;
          await appendAuditEvent(tx, systemAuditContext, jobEvent(job, "job.succeeded", { state: "succeeded" }));
          isSucceeded = true;
          return value;
        },
        { timeout: 120_000 },
      );
    },
  };

  try {
    const result = await definition.run(job, context);
    if (!isSucceeded) await context.complete(async () => undefined, result ?? undefined);
  } catch (error) {
    const reason = controller.signal.aborted ? (controller.signal.reason as unknown) : error;
    if (reason instanceof JobCancelledError) {
      if (reason.reason === "cancelled") await settleHeldJob(definition, job, { state: "cancelled", reason: reason.message });
      else if (reason.reason === "timeout") await settleHeldJob(definition, job, { state: "failed", reason: `${reason.message} (${definition.timeoutMinutes ?? 60} minutes)` });
      else if (reason.reason === "shutdown") await releaseHeldJob(definition, job);
      // "lost": another attempt holds the job now; this one leaves no trace.
    } else {
      logger.error({ err: error, jobId: job.id, kind: job.kind }, "job failed");
      await settleHeldJob(definition, job, { state: "failed", reason: messageOf(error) });
    }
  } finally {
    clearInterval(heartbeat);
    clearTimeout(timeout);
    running.delete(job.id);
  }
}

/**
 * One pass of the supervisor, on every instance: running jobs whose heartbeat stopped are restarted
 * (or fail once their attempts are spent), and queued jobs whose delivery was lost are delivered again.
 * Rows are taken with SKIP LOCKED, so two instances never handle the same job.
 */
export async function superviseJobs(staleAfterMs = env.JOB_STALE_AFTER_MS) {
  await db.$transaction(async (tx) => {
    const stale = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM background_job
       WHERE state = 'running' AND heartbeat_at < now() - make_interval(secs => ${staleAfterMs / 1000})
       ORDER BY heartbeat_at LIMIT 50 FOR UPDATE SKIP LOCKED`;
    for (const { id } of stale) {
      const row = await tx.backgroundJob.findUniqueOrThrow({ where: { id }, select: { ...jobRecordSelect, heartbeatAt: true, cancelRequestedAt: true, progressDone: true, progressTotal: true } });
      const job = toJobRecord(row);
      const definition = jobDefinitionOf(job.kind);
      const silence = `no heartbeat since ${row.heartbeatAt?.toISOString() ?? "it started"}`;
      if (row.cancelRequestedAt) {
        await settleJob(tx, definition, job, { state: "cancelled", reason: `the job was cancelled (its worker stopped: ${silence})` });
      } else if (definition && job.attempt < job.maxAttempts) {
        await tx.backgroundJob.update({ where: { id }, data: { state: "queued", heartbeatAt: null } });
        await dispatchJob(tx, definition as JobDefinition<never>, id);
        await appendAuditEvent(tx, systemAuditContext, jobEvent(job, "job.restarted", { state: "queued", reason: `its worker stopped (${silence}); attempt ${job.attempt + 1} of ${job.maxAttempts} starts from the beginning` }));
      } else {
        const progressNote = row.progressTotal ? ` at ${row.progressDone} of ${row.progressTotal}` : "";
        const reason = definition
          ? `its worker stopped ${job.attempt} time(s)${progressNote} (${silence}): the app instance was probably killed or ran out of memory`
          : `no app instance knows the job kind ${job.kind}`;
        await settleJob(tx, definition, job, { state: "failed", reason });
      }
    }
    // A delivery can be lost only with pg-boss's own rows (a restored or reset queue schema, JOB_QUEUE_SCHEMA).
    const undelivered = await tx.$queryRaw<{ id: string; kind: string }[]>`
      SELECT b.id, b.kind FROM background_job b
        LEFT JOIN pgboss.job j ON j.id = b.dispatch_id AND j.name = b.kind
       WHERE b.state = 'queued' AND b.created_at < now() - make_interval(secs => ${staleAfterMs / 1000})
         AND (j.id IS NULL OR j.state IN ('completed', 'failed', 'cancelled'))
       LIMIT 50 FOR UPDATE OF b SKIP LOCKED`;
    for (const { id, kind } of undelivered) {
      const definition = jobDefinitionOf(kind);
      if (definition) await dispatchJob(tx, definition as JobDefinition<never>, id);
    }
  });
}

export interface JobWorkers {
  stop(): Promise<void>;
}

/** Starts pg-boss workers for every registered kind, and the supervisor. */
export async function startJobWorkers(definitions: JobDefinition<unknown>[] = registeredJobDefinitions()): Promise<JobWorkers> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: JOB_QUEUE_SCHEMA,
    application_name: "attest-jobs",
    // The embedded database serves one session: the queue shares it through one extra connection.
    max: isSingleSessionDatabase ? 1 : 3,
    supervise: true,
    schedule: false,
    migrate: false,
  });
  boss.on("error", (error) => logger.error({ err: error }, "job queue error"));
  await boss.start();
  const running = new Map<string, AbortController>();
  for (const definition of definitions) {
    // Installed by the migration step; created here too for a kind added since (needs the owner role).
    await boss.createQueue(definition.kind, queueOptions(definition.kind)).catch((error: unknown) => logger.warn({ err: error, kind: definition.kind }, "job queue not created"));
    await boss.work<{ jobId: string }>(definition.kind, { pollingIntervalSeconds: env.JOB_POLL_INTERVAL_SECONDS, batchSize: 1 }, async ([delivery]) => {
      if (delivery) await runJobAttempt(definition, delivery.data.jobId, running);
    });
  }
  let isSupervising = false;
  const supervise = async () => {
    if (isSupervising) return;
    isSupervising = true;
    try {
      await superviseJobs();
    } catch (error) {
      logger.error({ err: error }, "job supervisor failed");
    } finally {
      isSupervising = false;
    }
  };
  const supervisor = setInterval(() => void supervise(), Math.max(1000, Math.floor(env.JOB_STALE_AFTER_MS / 3)));
  supervisor.unref();
  void supervise();
  return {
    async stop() {
      clearInterval(supervisor);
      for (const controller of running.values()) controller.abort(new JobCancelledError("shutdown"));
      const deadline = Date.now() + 10_000;
      while (running.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await boss.stop({ graceful: true, close: true, timeout: 5000 }).catch(() => {});
    },
  };
}
