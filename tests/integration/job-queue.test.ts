import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

// The supervisor's threshold is lowered for this file so a killed worker is noticed within seconds.
vi.hoisted(() => {
  process.env.JOB_HEARTBEAT_MS = "200";
  process.env.JOB_STALE_AFTER_MS = "1500";
  process.env.JOB_POLL_INTERVAL_SECONDS = "0.5";
});

import { enqueueJob } from "~/modules/jobs/queue.server";
import { installJobQueue } from "~/modules/jobs/install.server";
import { cancelJob, getJobStatus } from "~/modules/jobs/jobs.server";
import { superviseJobs, startJobWorkers, type JobWorkers } from "~/modules/jobs/worker.server";
import { db } from "~/utils/db.server";
import { rootDir } from "../support/paths";
import { databaseEnv } from "../support/test-database";
import { countJob, countRuns, createTestJobTables, fragileJob, hangJob, testJobKinds, waitFor } from "../support/test-jobs";
import { actorFor, thrownResponse } from "./helpers/actors";

// The job queue (ADR 008) on the run's real database: pg-boss delivery, the app's job rows, progress,
// cancellation, exactly-once across instances and recovery from a killed worker.

const definitions = [countJob, hangJob, fragileJob] as never[];
const started: JobWorkers[] = [];
const children: ChildProcess[] = [];

async function startInstance() {
  const workers = await startJobWorkers(definitions);
  started.push(workers);
  return workers;
}

/** Another app instance in its own process, running the test kinds' workers until it is killed. */
async function startWorkerProcess() {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/support/job-worker-cli.ts"], {
    cwd: rootDir,
    env: databaseEnv(inject("databaseUrl"), { NODE_ENV: "test", LOG_LEVEL: "warn", JOB_HEARTBEAT_MS: "200", JOB_POLL_INTERVAL_SECONDS: "0.5", TEST_JOB_WORKER: "child" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("workers ready")) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`worker process exited (${code}):\n${output}`)));
  });
  return child;
}

async function enqueue(definition: never, input: unknown, requestedById: string) {
  return db.$transaction((tx) => enqueueJob(tx, definition, { input, requestedById, subject: { type: "Test", id: "1" } }));
}

async function jobRow(id: string) {
  return db.backgroundJob.findUniqueOrThrow({ where: { id } });
}

async function eventsOf(jobId: string) {
  return (await db.auditEvent.findMany({ where: { subjectType: "BackgroundJob", subjectId: jobId }, orderBy: { seq: "asc" }, select: { action: true, actorType: true, changes: true } })).map((event) => event.action);
}

beforeAll(async () => {
  await installJobQueue(inject("databaseUrl"), testJobKinds);
  await createTestJobTables();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const workers of started) await workers.stop();
});

describe("background jobs", () => {
  it("enqueues in the caller's transaction: a rolled-back request leaves no job and no delivery", async () => {
    const compliance = await actorFor("compliance");
    const before = await db.backgroundJob.count();
    await expect(
      db.$transaction(async (tx) => {
        await enqueueJob(tx, countJob, { input: { to: 2, stepMs: 0 }, requestedById: compliance.user.id });
        throw new Error("the request failed after queueing");
      }),
    ).rejects.toThrow("the request failed");
    expect(await db.backgroundJob.count()).toBe(before);
    const [deliveries] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pgboss.job WHERE name = 'test.count'`;
    expect(Number(deliveries!.n)).toBe(0);
  });

  it("refuses invalid input before writing anything, naming the field", async () => {
    const compliance = await actorFor("compliance");
    const before = await db.backgroundJob.count();
    await expect(enqueue(countJob as never, { to: 0 }, compliance.user.id)).rejects.toThrow(/to/);
    expect(await db.backgroundJob.count()).toBe(before);
  });

  it("runs each job exactly once across two app instances, reporting progress and its result", async () => {
    const compliance = await actorFor("compliance");
    const ids = await Promise.all(Array.from({ length: 12 }, (_, index) => enqueue(countJob as never, { to: 5 + index, stepMs: 5 }, compliance.user.id)));
    await startInstance();
    await startInstance();
    await waitFor("all jobs to finish", async () => (await db.backgroundJob.count({ where: { id: { in: ids }, state: "succeeded" } })) === ids.length);
    for (const [index, id] of ids.entries()) {
      expect(await countRuns(id)).toHaveLength(1);
      const row = await jobRow(id);
      expect(row).toMatchObject({ state: "succeeded", attempt: 1, result: { counted: 5 + index } });
      expect(Number(row.progressDone)).toBe(5 + index);
      expect(await eventsOf(id)).toEqual(["job.succeeded"]);
    }
    const outputs = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM test_job_output WHERE job_id = ANY(${ids}::uuid[])`;
    expect(Number(outputs[0]!.n)).toBe(ids.length);

    const status = await getJobStatus(compliance, ids[0]!);
    expect(status).toMatchObject({ state: "succeeded", percent: 100, isFinished: true, canCancel: false });
  });

  it("shows a job only to whom its domain allows, answering others exactly like a missing job", async () => {
    const compliance = await actorFor("compliance");
    const auditor = await actorFor("auditor");
    const id = await enqueue(countJob as never, { to: 1, stepMs: 0 }, compliance.user.id);
    const hidden = await thrownResponse(() => getJobStatus(auditor, id));
    const missing = await thrownResponse(() => getJobStatus(auditor, "00000000-0000-4000-8000-000000000000"));
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toEqual(await missing.json());
    expect((await thrownResponse(() => cancelJob(auditor, id))).status).toBe(404);
  });

  it("cancels a running job at its next heartbeat and records who asked and how it ended", async () => {
    const compliance = await actorFor("compliance");
    if (started.length === 0) await startInstance();
    const id = await enqueue(countJob as never, { to: 400, stepMs: 20 }, compliance.user.id);
    await waitFor("the job to make progress", async () => Number((await jobRow(id)).progressDone) > 0);
    expect((await getJobStatus(compliance, id)).canCancel).toBe(true);
    expect(await cancelJob(compliance, id)).toMatchObject({ outcome: "cancel_requested" });
    const row = await waitFor("the job to stop", async () => {
      const current = await jobRow(id);
      return current.state === "cancelled" ? current : null;
    });
    expect(row.error).toMatch(/cancelled/);
    expect(Number(row.progressDone)).toBeLessThan(400);
    expect(await eventsOf(id)).toEqual(["job.cancel_requested", "job.cancelled"]);
    expect((await cancelJob(compliance, id)).outcome).toBe("already_finished");
  });

  it("cancels a queued job at once", async () => {
    const compliance = await actorFor("compliance");
    for (const workers of started.splice(0)) await workers.stop();
    const id = await enqueue(countJob as never, { to: 3, stepMs: 0 }, compliance.user.id);
    expect(await cancelJob(compliance, id)).toMatchObject({ outcome: "cancelled", state: "cancelled" });
    expect(await eventsOf(id)).toEqual(["job.cancelled"]);
    await startInstance();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await countRuns(id)).toHaveLength(0);
    expect((await jobRow(id)).state).toBe("cancelled");
  });

  it("restarts a job whose app instance was killed, from the beginning, on another instance", async () => {
    const compliance = await actorFor("compliance");
    for (const workers of started.splice(0)) await workers.stop();
    const child = await startWorkerProcess();
    const id = await enqueue(hangJob as never, { note: "killed mid-way" }, compliance.user.id);
    await waitFor("the child to take the job", async () => (await jobRow(id)).state === "running" && Number((await jobRow(id)).progressDone) === 3);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect((await jobRow(id)).state).toBe("running");
    await startInstance();
    const row = await waitFor("the job to finish on the survivor", async () => {
      const current = await jobRow(id);
      return current.state === "succeeded" ? current : null;
    });
    expect(row.attempt).toBe(2);
    expect(row.result).toEqual({ finishedOnAttempt: 2 });
    expect((await countRuns(id)).map((run) => [run.attempt, run.worker])).toEqual([
      [1, "child"],
      [2, `pid-${process.pid}`],
    ]);
    expect(await eventsOf(id)).toEqual(["job.restarted", "job.succeeded"]);
  });

  it("ends a job as failed with the reason once a killed worker used up its attempts", async () => {
    const compliance = await actorFor("compliance");
    for (const workers of started.splice(0)) await workers.stop();
    const child = await startWorkerProcess();
    const id = await enqueue(fragileJob as never, {}, compliance.user.id);
    await waitFor("the child to report progress", async () => Number((await jobRow(id)).progressTotal) === 4);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, 1700));
    await superviseJobs(1500);
    const row = await jobRow(id);
    expect(row.state).toBe("failed");
    expect(row.error).toMatch(/worker stopped 1 time\(s\) at 1 of 4 .*killed/);
    const [output] = await db.$queryRaw<{ value: number }[]>`SELECT value FROM test_job_output WHERE job_id = ${id}::uuid`;
    expect(output?.value).toBe(-1);
    expect(await eventsOf(id)).toEqual(["job.failed"]);
    const status = await getJobStatus(compliance, id);
    expect(status).toMatchObject({ state: "failed", isFinished: true, canCancel: false });
  });

  it("never lets a worker that was presumed dead overwrite its successor", async () => {
    const compliance = await actorFor("compliance");
    for (const workers of started.splice(0)) await workers.stop();
    const id = await enqueue(countJob as never, { to: 60, stepMs: 50 }, compliance.user.id);
    const first = await startInstance();
    await waitFor("the job to start", async () => (await jobRow(id)).state === "running");
    // The first worker's heartbeats stop reaching the database (a long pause): another instance takes over.
    await db.$executeRaw`UPDATE background_job SET heartbeat_at = now() - interval '1 hour', attempt = attempt + 1, state = 'queued' WHERE id = ${id}::uuid`;
    await waitFor("the first worker to notice it lost the job", async () => (await countRuns(id)).length >= 1);
    await first.stop();
    started.splice(started.indexOf(first), 1);
    await db.$executeRaw`UPDATE background_job SET created_at = now() - interval '1 hour' WHERE id = ${id}::uuid`;
    await startInstance();
    await superviseJobs(1500);
    const row = await waitFor("the successor to finish", async () => {
      const current = await jobRow(id);
      return current.state === "succeeded" ? current : null;
    });
    expect(row.attempt).toBe(3);
    const [output] = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM test_job_output WHERE job_id = ${id}::uuid`;
    expect(Number(output!.n)).toBe(1);
  });
});
