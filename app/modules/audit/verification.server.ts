import { db, databaseUrl } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { forbidden, notFound, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent, type AuditContext } from "./ledger.server";
import { verifyLedger } from "./verify.server";
import { verifierConfiguration } from "./verify-trust.server";
import { parseCheckpointNoteText, parseSignedNote } from "./signed-note";

/** Is the pasted text a saved checkpoint (JSON with body and signature, or a signed note)? Else why not. */
export function trustedCheckpointInputError(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const value = JSON.parse(trimmed) as Record<string, unknown>;
      const holder = (typeof value.checkpoint === "object" && value.checkpoint ? value.checkpoint : value) as Record<string, unknown>;
      return typeof holder.body === "string" && typeof holder.signature === "string" ? null : 'the JSON has no "body" and "signature" (save /api/v1/audit/checkpoints/latest as it is)';
    } catch {
      return "it is not valid JSON";
    }
  }
  try {
    parseCheckpointNoteText(parseSignedNote(`${trimmed}\n`).text);
    return null;
  } catch (error) {
    return `it is neither checkpoint JSON nor a signed checkpoint note (${error instanceof Error ? error.message : String(error)})`;
  }
}

// Ledger verification from the UI: a run with visible progress, stored in ledger_verification so any
// app instance can show it, and recorded in the ledger itself when it ends (DESIGN.md §6).

const STALE_AFTER_MS = 15 * 60_000;

async function recordResult(id: string, audit: AuditContext, result: Awaited<ReturnType<typeof verifyLedger>> | Error) {
  const isError = result instanceof Error;
  await db.$transaction(async (tx) => {
    await tx.ledgerVerification.update({
      where: { id },
      data: isError
        ? { state: "error", finishedAt: new Date(), failure: { message: result.message } }
        : {
            state: result.isValid ? "passed" : "failed",
            finishedAt: new Date(),
            checkedEvents: BigInt(result.checkedEvents),
            totalEvents: BigInt(result.treeSize),
            checkedCheckpoints: result.checkedCheckpoints,
            failure: result.problem ? { ...result.problem } : undefined,
          },
    });
    await appendAuditEvent(tx, audit, {
      action: "ledger.verified",
      subjectType: "Ledger",
      subjectId: id,
      changes: isError
        ? { result: "error", message: result.message }
        : { result: result.isValid ? "passed" : "failed", treeSize: result.treeSize, checkedCheckpoints: result.checkedCheckpoints, problem: result.problem?.message ?? null },
    });
  });
}

export async function startLedgerVerification(actor: Actor, options: { trustedCheckpoint?: string } = {}) {
  if (!actor.ability.can("verify", "Ledger")) throw forbidden("verify", "Ledger");
  const running = await db.ledgerVerification.findFirst({
    where: { state: "running", startedAt: { gt: new Date(Date.now() - STALE_AFTER_MS) } },
    orderBy: { startedAt: "desc" },
  });
  if (running) return { id: running.id, isAlreadyRunning: true };
  const run = await db.ledgerVerification.create({ data: { requestedById: actor.user.id } });
  const audit = actor.audit;
  let lastWrite = 0;
  // Keys, tag keys and the sink's checkpoint from this instance's configuration, plus a checkpoint the
  // auditor kept and pasted (verified with the trusted keys like any other).
  const configuration = await verifierConfiguration();
  if (options.trustedCheckpoint?.trim()) configuration.trustedCheckpoints.push({ source: "the pasted checkpoint", text: options.trustedCheckpoint });
  void verifyLedger({
    databaseUrl,
    ...configuration,
    onProgress: async ({ checkedEvents, totalEvents, checkedCheckpoints }) => {
      if (Date.now() - lastWrite < 500) return;
      lastWrite = Date.now();
      await db.ledgerVerification.update({
        where: { id: run.id },
        data: { checkedEvents: BigInt(checkedEvents), totalEvents: BigInt(totalEvents), checkedCheckpoints },
      });
    },
  })
    .then((result) => recordResult(run.id, audit, result))
    .catch(async (error: unknown) => {
      logger.error({ err: error }, "ledger verification failed to run");
      await recordResult(run.id, audit, error instanceof Error ? error : new Error(String(error))).catch(() => {});
    });
  return { id: run.id, isAlreadyRunning: false };
}

function runView(run: { id: string; state: string; startedAt: Date; finishedAt: Date | null; totalEvents: bigint; checkedEvents: bigint; checkedCheckpoints: number; failure: unknown; requestedById: string | null }) {
  const isStale = run.state === "running" && Date.now() - run.startedAt.getTime() > STALE_AFTER_MS;
  return {
    id: run.id,
    state: isStale ? "interrupted" : run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    totalEvents: Number(run.totalEvents),
    checkedEvents: Number(run.checkedEvents),
    checkedCheckpoints: run.checkedCheckpoints,
    failure: run.failure as { kind?: string; message?: string } | null,
  };
}

export async function listLedgerVerifications(actor: Actor) {
  if (!actor.ability.can("verify", "Ledger")) throw forbidden("verify", "Ledger");
  const runs = await db.ledgerVerification.findMany({ orderBy: { startedAt: "desc" }, take: 10 });
  return runs.map(runView);
}

export async function getLedgerVerification(actor: Actor, id: string) {
  if (!actor.ability.can("verify", "Ledger")) throw forbidden("verify", "Ledger");
  const run = await db.ledgerVerification.findUnique({ where: { id } });
  if (!run) throw notFound("That verification run");
  return runView(run);
}
