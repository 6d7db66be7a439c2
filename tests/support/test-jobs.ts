import { z } from "zod";
import { notFound, type Actor } from "~/modules/access/actor.server";
import { registerJobHandler } from "~/modules/jobs/registry.server";
import { db } from "~/utils/db.server";

// Job kinds of the queue's own tests (tests/integration/job-queue.test.ts): each records every attempt
// it runs in test_job_run, so a test can tell how often and by whom a job ran.

export const testJobKinds = ["test.count", "test.hang", "test.fragile"];

export async function createTestJobTables() {
  await db.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS test_job_run (job_id uuid NOT NULL, attempt int NOT NULL, worker text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now())`);
  await db.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS test_job_output (job_id uuid PRIMARY KEY, value int NOT NULL)`);
}

const worker = process.env.TEST_JOB_WORKER ?? `pid-${process.pid}`;

/** Only the requester may watch or cancel a test job; anyone else sees nothing. */
function requesterOnly(actor: Actor, job: { requestedById: string | null }) {
  if (job.requestedById !== actor.user.id) throw notFound("That job");
}

async function recordRun(jobId: string, attempt: number) {
  await db.$executeRaw`INSERT INTO test_job_run (job_id, attempt, worker) VALUES (${jobId}::uuid, ${attempt}, ${worker})`;
}

/** Counts to `to` in steps, reporting progress, then stores the count with the job's success. */
export const countJob = registerJobHandler({
  kind: "test.count",
  input: z.object({ to: z.number().int().min(1).max(1000), stepMs: z.number().int().min(0).max(1000).default(0) }),
  authorize: requesterOnly,
  async run(job, context) {
    await recordRun(job.id, job.attempt);
    for (let step = 1; step <= job.input.to; step++) {
      context.throwIfCancelled();
      if (job.input.stepMs) await new Promise((resolve) => setTimeout(resolve, job.input.stepMs));
      context.reportProgress(step, job.input.to, "counting");
    }
    await context.complete(async (tx) => {
      await tx.$executeRaw`INSERT INTO test_job_output (job_id, value) VALUES (${job.id}::uuid, ${job.input.to})`;
    }, { counted: job.input.to });
  },
});

/** Reports progress, then waits until it is cancelled or its process dies (the crash tests kill it). */
export const hangJob = registerJobHandler({
  kind: "test.hang",
  input: z.object({ note: z.string() }),
  authorize: requesterOnly,
  maxAttempts: 2,
  async run(job, context) {
    await recordRun(job.id, job.attempt);
    if (job.attempt > 1) return { finishedOnAttempt: job.attempt };
    context.reportProgress(3, 10, "half way");
    await new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason as Error)));
  },
  async onSettled(tx, job, outcome) {
    await tx.$executeRaw`INSERT INTO test_job_output (job_id, value) VALUES (${job.id}::uuid, ${outcome.state === "failed" ? -1 : -2}) ON CONFLICT (job_id) DO NOTHING`;
  },
});

/** Hangs on every attempt and allows one: a worker crash ends it as failed. */
export const fragileJob = registerJobHandler({
  kind: "test.fragile",
  input: z.object({}),
  authorize: requesterOnly,
  maxAttempts: 1,
  async run(job, context) {
    await recordRun(job.id, job.attempt);
    context.reportProgress(1, 4, "started");
    await new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason as Error)));
  },
  async onSettled(tx, job, outcome) {
    await tx.$executeRaw`INSERT INTO test_job_output (job_id, value) VALUES (${job.id}::uuid, ${outcome.state === "failed" ? -1 : -2}) ON CONFLICT (job_id) DO NOTHING`;
  },
});

export async function countRuns(jobId: string) {
  return db.$queryRaw<{ attempt: number; worker: string }[]>`SELECT attempt, worker FROM test_job_run WHERE job_id = ${jobId}::uuid ORDER BY ran_at`;
}

/** Waits until `check` returns a value (not undefined/false), polling every 100 ms. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
