import { randomUUID } from "node:crypto";
import type { ApiCaller } from "~/modules/access/api-tokens.server";
import { db } from "~/utils/db.server";
import {
  auditAcceptedBatch,
  isIngestResult,
  isUniqueViolation,
  conflictOutsideToken,
  parseBatch,
  readBatchBody,
  rejectBatch,
  rejectionOf,
  type BatchKind,
} from "./batch.server";
import type { ParsedLine } from "./ndjson";
import { FraudOutcomeLineSchema, RepaymentOutcomeLineSchema, type FraudOutcomeLine, type RepaymentOutcomeLine } from "./schema";

// POST /api/v1/repayment-outcomes and /api/v1/fraud-outcomes (docs/ingestion.md): the ground truth the
// dashboards score the models against. Same rules as decisions: all or nothing, idempotent on
// externalId, each outcome in the region of its decision and only within the token's regions.

type OutcomeLine = RepaymentOutcomeLine | FraudOutcomeLine;

interface OutcomeSpec<L extends OutcomeLine> {
  kind: Extract<BatchKind, "repayment_outcomes" | "fraud_outcomes">;
  schema: typeof RepaymentOutcomeLineSchema | typeof FraudOutcomeLineSchema;
  /** Stored outcomes with these external ids, as comparable content. */
  findExisting(externalIds: string[]): Promise<{ externalId: string; regionCode: string; content: string }[]>;
  contentOf(line: L, decisionId: string): string;
  /** Why this decision cannot have this outcome, if it cannot. */
  refusal?(decision: DecisionRef): string | null;
  write(rows: { id: string; decisionId: string; value: L }[]): (tx: Parameters<Parameters<typeof db.$transaction>[0]>[0]) => Promise<unknown>;
}

interface DecisionRef {
  id: string;
  externalId: string;
  regionCode: string;
  kind: string;
  outcome: string;
  reviewState: string;
}

const money = (value: { toFixed(digits: number): string } | null | undefined) => (value == null ? null : value.toFixed(2));

async function ingestOutcomes<L extends OutcomeLine>(spec: OutcomeSpec<L>, caller: ApiCaller, request: Request) {
  const batch = await readBatchBody(caller, spec.kind, request);
  if (isIngestResult(batch)) return batch;
  const batchLines = await parseBatch(caller, spec.kind, batch, spec.schema);
  if (isIngestResult(batchLines)) return batchLines;
  const { lines, parsed: parsedLines, errors } = batchLines;
  const parsed = parsedLines as ParsedLine<L>[];
  if (lines === 0) return rejectBatch(caller, spec.kind, { ...batch, lines }, 422, "the batch is empty (send one outcome per line)", []);

  for (let attempt = 1; ; attempt++) {
    const lineErrors = [...errors];
    const [decisions, existing] = await Promise.all([
      db.decision.findMany({
        where: { externalId: { in: [...new Set(parsed.map(({ value }) => value.decisionExternalId))] } },
        select: { id: true, externalId: true, regionCode: true, kind: true, outcome: true, reviewState: true },
      }),
      spec.findExisting(parsed.map(({ value }) => value.externalId)),
    ]);
    const decisionByExternalId = new Map(decisions.map((decision) => [decision.externalId, decision]));
    const existingById = new Map(existing.map((row) => [row.externalId, row]));
    const firstLineOf = new Map<string, number>();
    const fresh: { id: string; decisionId: string; value: L }[] = [];
    let replayed = 0;
    for (const { line, value } of parsed) {
      const earlier = firstLineOf.get(value.externalId);
      if (earlier !== undefined) {
        lineErrors.push({ line, field: "externalId", message: `"${value.externalId}" already appears on line ${earlier} of this batch` });
        continue;
      }
      firstLineOf.set(value.externalId, line);
      const decision = decisionByExternalId.get(value.decisionExternalId);
      // A decision outside the token's regions answers exactly as one never ingested (no existence oracle);
      // the ledger keeps the true reason in the line's code.
      if (decision && !caller.regions.includes(decision.regionCode)) {
        lineErrors.push({ line, field: "decisionExternalId", message: `"${value.decisionExternalId}" is not a decision Attest has ingested`, code: "outside_token_regions" });
        continue;
      }
      if (!decision) {
        lineErrors.push({ line, field: "decisionExternalId", message: `"${value.decisionExternalId}" is not a decision Attest has ingested` });
        continue;
      }
      const stored = existingById.get(value.externalId);
      // An outcome id already recorded in another region: a conflict naming no region, showing no content.
      if (stored && !caller.regions.includes(stored.regionCode)) {
        lineErrors.push(conflictOutsideToken(line, "externalId", value.externalId));
        continue;
      }
      if (stored !== undefined) {
        if (stored.content === spec.contentOf(value, decision.id)) replayed++;
        else lineErrors.push({ line, field: "externalId", message: `"${value.externalId}" was already ingested with different content; an outcome is immutable, send a new one with its own externalId` });
        continue;
      }
      const refusal = spec.refusal?.(decision);
      if (refusal) {
        lineErrors.push({ line, field: "decisionExternalId", message: refusal });
        continue;
      }
      fresh.push({ id: randomUUID(), decisionId: decision.id, value });
    }
    if (lineErrors.length > 0) {
      const { status, message } = rejectionOf(lineErrors);
      return rejectBatch(caller, spec.kind, { ...batch, lines }, status, message, lineErrors);
    }
    const regionOf = new Map(decisions.map((decision) => [decision.id, decision.regionCode]));
    try {
      const counts = { lines, created: fresh.length, replayed };
      await db.$transaction(
        async (tx) => {
          if (fresh.length > 0) await spec.write(fresh)(tx);
          await auditAcceptedBatch(tx, caller, spec.kind, batch, fresh.map((row) => regionOf.get(row.decisionId)!), counts);
        },
        { timeout: 60_000, maxWait: 30_000 },
      );
      return { status: fresh.length > 0 ? 201 : 200, body: { batchId: batch.id, ...counts } };
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

const repaymentSpec: OutcomeSpec<RepaymentOutcomeLine> = {
  kind: "repayment_outcomes",
  schema: RepaymentOutcomeLineSchema,
  async findExisting(externalIds) {
    const rows = await db.repaymentOutcome.findMany({ where: { externalId: { in: externalIds } }, include: { decision: { select: { regionCode: true } } } });
    return rows.map((row) => ({
      externalId: row.externalId,
      regionCode: row.decision.regionCode,
      content: JSON.stringify([row.decisionId, row.status, row.observedAt.toISOString(), money(row.outstandingAmount)]),
    }));
  },
  contentOf: (line, decisionId) => JSON.stringify([decisionId, line.status, line.observedAt.toISOString(), Number(line.outstandingAmount).toFixed(2)]),
  // Only credit that was granted is repaid: an approved decision, or one a reviewer overturned.
  refusal: (decision) =>
    decision.kind === "fraud"
      ? `"${decision.externalId}" is a fraud screening, not a credit; send its outcome to /api/v1/fraud-outcomes`
      : decision.outcome !== "approved" && decision.reviewState !== "overturned"
        ? `"${decision.externalId}" was ${decision.outcome.replace("_", " ")}, so no credit was granted to repay`
        : null,
  write: (rows) => (tx) =>
    tx.repaymentOutcome.createMany({
      data: rows.map(({ id, decisionId, value }) => ({
        id,
        externalId: value.externalId,
        decisionId,
        status: value.status,
        observedAt: value.observedAt,
        outstandingAmount: value.outstandingAmount,
      })),
    }),
};

const fraudSpec: OutcomeSpec<FraudOutcomeLine> = {
  kind: "fraud_outcomes",
  schema: FraudOutcomeLineSchema,
  async findExisting(externalIds) {
    const rows = await db.fraudOutcome.findMany({ where: { externalId: { in: externalIds } }, include: { decision: { select: { regionCode: true } } } });
    return rows.map((row) => ({
      externalId: row.externalId,
      regionCode: row.decision.regionCode,
      content: JSON.stringify([row.decisionId, row.outcome, row.reportedAt.toISOString(), money(row.lossAmount)]),
    }));
  },
  contentOf: (line, decisionId) =>
    JSON.stringify([decisionId, line.outcome, line.reportedAt.toISOString(), line.lossAmount == null ? null : Number(line.lossAmount).toFixed(2)]),
  write: (rows) => (tx) =>
    tx.fraudOutcome.createMany({
      data: rows.map(({ id, decisionId, value }) => ({
        id,
        externalId: value.externalId,
        decisionId,
        outcome: value.outcome,
        reportedAt: value.reportedAt,
        lossAmount: value.lossAmount ?? null,
      })),
    }),
};

export function ingestRepaymentOutcomes(caller: ApiCaller, request: Request) {
  return ingestOutcomes(repaymentSpec, caller, request);
}

export function ingestFraudOutcomes(caller: ApiCaller, request: Request) {
  return ingestOutcomes(fraudSpec, caller, request);
}
