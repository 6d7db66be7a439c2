import type { z } from "zod";
import type { Actor } from "~/modules/access/actor.server";
import type { Tx } from "~/utils/db.server";

// What a kind of background job is (ADR 008): its input schema, the work, who may watch or cancel it,
// and what its domain records when it ends without succeeding. Each domain registers its kinds with
// registerJobHandler in its own *.jobs.server.ts; app/modules/jobs/handlers.server.ts imports those files
// so that every instance knows every kind, and app/modules/jobs/kinds.ts names them for installation.

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** The job row as a definition's hooks see it. */
export interface JobRecord<Input = unknown> {
  id: string;
  kind: string;
  state: JobState;
  input: Input;
  subjectType: string | null;
  subjectId: string | null;
  regionCode: string | null;
  requestedById: string | null;
  attempt: number;
  maxAttempts: number;
}

export interface JobContext {
  /** Aborted when the job is cancelled, when this attempt lost the job (another worker took it over) or at shutdown. */
  signal: AbortSignal;
  /** Progress for the job's page; written with the next heartbeat (at most every JOB_HEARTBEAT_MS). */
  reportProgress(done: number, total?: number | null, message?: string): void;
  /** Throws the abort reason when the job was cancelled or lost: call it between units of work. */
  throwIfCancelled(): void;
  /**
   * Runs the job's final write (mark the pack downloadable, store the backtest) and marks the job
   * succeeded in one transaction, only while this attempt still holds the job: nothing half-built is
   * ever offered, and a worker that was presumed dead cannot overwrite its successor's result.
   */
  complete<T>(write: (tx: Tx) => Promise<T>, result?: unknown): Promise<T>;
}

export interface JobDefinition<Input = unknown> {
  kind: string;
  /** Validated when the job is enqueued and again when a worker takes it. */
  input: z.ZodType<Input>;
  /** Who may see (`read`) or cancel a job: throw the domain's notFound/forbidden, as for its record. */
  authorize(actor: Actor, job: JobRecord<Input>, action: "read" | "cancel"): Promise<void> | void;
  /** The work. Restartable: a job whose worker died runs again from the start (attempt + 1). */
  run(job: JobRecord<Input>, context: JobContext): Promise<unknown>;
  /** Domain rows to update in the transaction that ends the job as failed or cancelled. */
  onSettled?(tx: Tx, job: JobRecord<Input>, outcome: { state: "failed" | "cancelled"; reason: string }): Promise<void>;
  /** Attempts in all, counting restarts after a worker died (default 3). */
  maxAttempts?: number;
  /** One attempt longer than this is stopped and the job fails (default 60). */
  timeoutMinutes?: number;
}

const registry = new Map<string, JobDefinition<never>>();

/** Declares a kind of job; returns the definition to pass to enqueueJob. */
export function registerJobHandler<Input>(definition: JobDefinition<Input>): JobDefinition<Input> {
  if (!/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(definition.kind)) {
    throw new Error(`job kind "${definition.kind}" must be dotted lower-case words, such as evidence_pack.build`);
  }
  const existing = registry.get(definition.kind);
  if (existing && existing !== (definition as unknown)) throw new Error(`job kind "${definition.kind}" is registered twice`);
  registry.set(definition.kind, definition as unknown as JobDefinition<never>);
  return definition;
}

export function jobDefinitionOf(kind: string): JobDefinition<unknown> | null {
  return (registry.get(kind) as JobDefinition<unknown> | undefined) ?? null;
}

export function registeredJobDefinitions(): JobDefinition<unknown>[] {
  return [...registry.values()] as JobDefinition<unknown>[];
}

export class JobCancelledError extends Error {
  constructor(readonly reason: "cancelled" | "lost" | "shutdown" | "timeout") {
    super(
      {
        cancelled: "the job was cancelled",
        lost: "another worker took the job over (this worker was presumed stopped)",
        shutdown: "the app instance is shutting down",
        timeout: "the job ran longer than its time limit",
      }[reason],
    );
  }
}
