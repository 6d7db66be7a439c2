import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import type { Prisma } from "~/generated/prisma/client";
import type { Tx } from "~/utils/db.server";
import { queueOptions } from "./install.server";
import { JOB_QUEUE_SCHEMA } from "./kinds";
import type { JobDefinition, JobRecord, JobState } from "./registry.server";

// Putting work on the queue (ADR 008). A job is a background_job row — what users and pages see —
// delivered to a worker by a pg-boss job, both written in the caller's transaction: a request that
// rolls back leaves no job, and a committed request always has its delivery.

/** pg-boss statements run on the caller's transaction (pg-boss's documented `db` option). */
export function transactionExecutor(tx: Tx): PgBoss.Db {
  return {
    async executeSql(text, values) {
      // JSON parameters go as text; Prisma's raw queries bind plain values only.
      const bound = values.map((value: unknown) => (value !== null && typeof value === "object" && !(value instanceof Date) ? JSON.stringify(value) : value));
      return { rows: await tx.$queryRawUnsafe<unknown[]>(text, ...bound) };
    },
  };
}

let sender: PgBoss | null = null;

/** A pg-boss client that only writes through the executor it is given, never through a pool of its own. */
function jobSender() {
  sender ??= new PgBoss({
    schema: JOB_QUEUE_SCHEMA,
    db: {
      executeSql() {
        throw new Error("job deliveries are written in the caller's transaction");
      },
    },
  });
  return sender;
}

export function attemptTimeoutMs(definition: Pick<JobDefinition<never>, "timeoutMinutes">) {
  return (definition.timeoutMinutes ?? 60) * 60_000;
}

/** Writes the pg-boss delivery of the job's next attempt in `tx`; returns its id. */
export async function dispatchJob(tx: Tx, definition: Pick<JobDefinition<never>, "kind" | "timeoutMinutes">, jobId: string) {
  const dispatchId = randomUUID();
  await jobSender().send(
    definition.kind,
    { jobId },
    {
      ...queueOptions(definition.kind),
      id: dispatchId,
      // pg-boss's own time limit is a backstop behind the worker's (which stops the attempt first).
      expireInSeconds: Math.ceil(attemptTimeoutMs(definition) / 1000) + 300,
      db: transactionExecutor(tx),
    },
  );
  await tx.backgroundJob.update({ where: { id: jobId }, data: { dispatchId } });
  return dispatchId;
}

export interface EnqueueJobOptions<Input> {
  input: Input;
  requestedById: string | null;
  /** The record the job works for; its domain's authorize() decides who may watch or cancel the job. */
  subject?: { type: string; id: string; regionCode?: string | null };
}

/**
 * Queues a job in the transaction that records why it was asked for (the pack request, the backtest
 * request) and returns its id. The input is validated here, before anything is written.
 */
export async function enqueueJob<Input>(tx: Tx, definition: JobDefinition<Input>, options: EnqueueJobOptions<Input>) {
  const input = definition.input.parse(options.input);
  const job = await tx.backgroundJob.create({
    data: {
      kind: definition.kind,
      input: input as Prisma.InputJsonValue,
      requestedById: options.requestedById,
      subjectType: options.subject?.type ?? null,
      subjectId: options.subject?.id ?? null,
      regionCode: options.subject?.regionCode ?? null,
      maxAttempts: definition.maxAttempts ?? 3,
    },
    select: { id: true },
  });
  await dispatchJob(tx, definition as JobDefinition<never>, job.id);
  return job.id;
}

export const jobRecordSelect = {
  id: true,
  kind: true,
  state: true,
  input: true,
  subjectType: true,
  subjectId: true,
  regionCode: true,
  requestedById: true,
  attempt: true,
  maxAttempts: true,
} satisfies Prisma.BackgroundJobSelect;

export function toJobRecord<Input>(row: Prisma.BackgroundJobGetPayload<{ select: typeof jobRecordSelect }>): JobRecord<Input> {
  return { ...row, state: row.state as JobState, input: row.input as Input };
}
