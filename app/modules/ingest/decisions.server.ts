import { randomUUID } from "node:crypto";
import type { ApiCaller } from "~/modules/access/api-tokens.server";
import { findRegion } from "~/modules/access/regions.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import { openReviewsForIngestedDecisions } from "~/modules/decisions/queue-rules.server";
import { findReasonCode } from "~/modules/decisions/reason-codes.server";
import { createSubjectKeys } from "~/modules/customers/subject-keys.server";
import { countDecisionsIntoRollups, holdRollupsForBatch } from "~/modules/dashboards/rollups.server";
import { db, type Tx } from "~/utils/db.server";
import {
  auditAcceptedBatch,
  isIngestResult,
  isUniqueViolation,
  parseBatch,
  readBatchBody,
  rejectBatch,
  conflictOutsideToken,
  rejectionOf,
  type BatchBody,
  type IngestResult,
} from "./batch.server";
import type { LineError, ParsedLine } from "./ndjson";
import { DecisionLineSchema, type DecisionLine } from "./schema";

// POST /api/v1/decisions (docs/ingestion.md): a batch of the engine's decisions, all or nothing.
// Idempotent on externalId: the same line sent again is a replay and changes nothing; the same id
// with other content is an error. A customer is created on first sight of its reference, in the
// decision's region, and stays there: a reference seen in another region is refused rather than
// moved, because a data subject belongs to one region's privacy regime and its staff.

/** Decisions from further ahead than this are refused: the engine's clock is wrong. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** The content of a decision as compared on replay (what the engine sent, normalised). */
function contentOf(line: DecisionLine) {
  return canonicalJson({
    customerReference: line.customerReference,
    region: line.region,
    kind: line.kind,
    outcome: line.outcome,
    modelName: line.modelName,
    modelVersion: line.modelVersion,
    score: line.score,
    amount: Number(line.amount).toFixed(2),
    currency: line.currency,
    decidedAt: line.decidedAt.toISOString(),
    features: line.features,
    reasons: line.reasonCodes.map((reason) => [reason.code, reason.contribution ?? 0]),
    ruleSetVersion: line.ruleSetVersion ?? null,
  });
}

type StoredDecision = Awaited<ReturnType<typeof findExistingDecisions>>[number];

function storedContentOf(row: StoredDecision) {
  return canonicalJson({
    customerReference: row.customer.reference,
    region: row.regionCode,
    kind: row.kind,
    outcome: row.outcome,
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    score: row.score,
    amount: row.amount.toFixed(2),
    currency: row.currency,
    decidedAt: row.decidedAt.toISOString(),
    features: row.features,
    reasons: row.reasons.map((reason) => [reason.code, reason.contribution]),
    ruleSetVersion: row.ruleSetVersion?.version ?? null,
  });
}

/** Top-level fields that differ between a stored decision and a new line, for the error message. */
function differingFields(row: StoredDecision, line: DecisionLine) {
  const stored = JSON.parse(storedContentOf(row)) as Record<string, unknown>;
  const sent = JSON.parse(contentOf(line)) as Record<string, unknown>;
  return Object.keys(sent).filter((key) => canonicalJson(sent[key]) !== canonicalJson(stored[key]));
}

async function findExistingDecisions(externalIds: string[]) {
  // Usually none exist: one cheap probe of the unique index first, the full content only for replays.
  const known = await db.$queryRaw<{ external_id: string }[]>`SELECT external_id FROM decision WHERE external_id = ANY(${externalIds}::text[])`;
  if (known.length === 0) return [];
  return db.decision.findMany({
    where: { externalId: { in: known.map((row) => row.external_id) } },
    select: {
      id: true,
      externalId: true,
      regionCode: true,
      kind: true,
      outcome: true,
      modelName: true,
      modelVersion: true,
      score: true,
      amount: true,
      currency: true,
      decidedAt: true,
      features: true,
      customer: { select: { reference: true } },
      ruleSetVersion: { select: { version: true } },
      reasons: { orderBy: { position: "asc" }, select: { code: true, contribution: true } },
    },
  });
}

/** Checks that need no database: regions, currency, catalogue, clock, duplicates inside the batch. */
function checkLines(caller: ApiCaller, lines: ParsedLine<DecisionLine>[], errors: LineError[], now: Date) {
  const firstLineOf = new Map<string, number>();
  const regionOfReference = new Map<string, { region: string; line: number }>();
  for (const { line, value } of lines) {
    const region = findRegion(value.region);
    if (!region) {
      errors.push({ line, field: "region", message: `"${value.region}" is not a region of Attest` });
    } else {
      if (!caller.regions.includes(value.region)) {
        errors.push({ line, field: "region", message: `"${value.region}" is outside this token's regions (${caller.regions.join(", ") || "none"})`, code: "region_not_allowed" });
      }
      if (value.currency !== region.currency) {
        errors.push({ line, field: "currency", message: `"${value.currency}" is not the currency of region ${value.region} (${region.currency})` });
      }
    }
    const scored = new Set(Object.keys(value.features));
    value.reasonCodes.forEach((reason, index) => {
      const catalogued = findReasonCode(reason.code);
      if (!catalogued) {
        errors.push({ line, field: `reasonCodes[${index}]`, message: `"${reason.code}" is not in the catalogue` });
      } else if (!catalogued.features.some((feature) => scored.has(feature))) {
        // DESIGN.md §8, ECOA/Reg B: a reason must be a factor the model actually scored.
        errors.push({
          line,
          field: `reasonCodes[${index}]`,
          message: `"${reason.code}" derives from ${catalogued.features.join(", ")}, none of which is among the features the model scored`,
        });
      }
    });
    if (value.decidedAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      errors.push({ line, field: "decidedAt", message: `${value.decidedAt.toISOString()} is in the future` });
    }
    const earlier = firstLineOf.get(value.externalId);
    if (earlier !== undefined) {
      errors.push({ line, field: "externalId", message: `"${value.externalId}" already appears on line ${earlier} of this batch` });
    } else {
      firstLineOf.set(value.externalId, line);
    }
    const seen = regionOfReference.get(value.customerReference);
    if (seen && seen.region !== value.region) {
      errors.push({ line, field: "customerReference", message: `"${value.customerReference}" is in region ${seen.region} on line ${seen.line}; a customer belongs to one region` });
    } else if (!seen) {
      regionOfReference.set(value.customerReference, { region: value.region, line });
    }
  }
}

interface DecisionPlan {
  fresh: ParsedLine<DecisionLine>[];
  replayed: number;
  customerIdByReference: Map<string, string>;
  newCustomers: { id: string; reference: string; regionCode: string }[];
  ruleSetVersionIds: Map<string, string>;
}

/** Checks against what is stored: earlier ingestions, known customers, rule-set versions. */
async function planAgainstDatabase(caller: ApiCaller, lines: ParsedLine<DecisionLine>[], errors: LineError[]): Promise<DecisionPlan> {
  const versionKeys = [...new Set(lines.filter(({ value }) => value.ruleSetVersion).map(({ value }) => `${value.region}:${value.ruleSetVersion}`))].map(
    (key) => [key.slice(0, 2), Number(key.slice(3))] as const,
  );
  const [existing, customers, versions] = await Promise.all([
    findExistingDecisions(lines.map(({ value }) => value.externalId)),
    db.$queryRaw<{ id: string; reference: string; regionCode: string; erasedAt: Date | null }[]>`
      SELECT id::text AS id, reference, region_code AS "regionCode", erased_at AS "erasedAt"
      FROM customer WHERE reference = ANY(${[...new Set(lines.map(({ value }) => value.customerReference))]}::text[])`,
    versionKeys.length === 0
      ? []
      : db.ruleSetVersion.findMany({
          where: { OR: versionKeys.map(([regionCode, version]) => ({ regionCode, version })) },
          select: { id: true, regionCode: true, version: true },
        }),
  ]);
  const existingById = new Map(existing.map((row) => [row.externalId, row]));
  const customerByReference = new Map(customers.map((customer) => [customer.reference, customer]));
  const ruleSetVersionIds = new Map(versions.map((version) => [`${version.regionCode}:${version.version}`, version.id]));

  const fresh: ParsedLine<DecisionLine>[] = [];
  let replayed = 0;
  const customerIdByReference = new Map<string, string>();
  const newCustomers: DecisionPlan["newCustomers"] = [];
  // A stored row outside the token's regions is refused like any line the token may not touch: no
  // field diff, no region, nothing about it beyond the fact that this token cannot use the id.
  const outsideRegions = (line: number, field: "externalId" | "customerReference", value: string) => {
    errors.push(conflictOutsideToken(line, field, value));
  };
  for (const parsed of lines) {
    const { line, value } = parsed;
    const stored = existingById.get(value.externalId);
    if (stored && !caller.regions.includes(stored.regionCode)) {
      outsideRegions(line, "externalId", value.externalId);
      continue;
    }
    if (stored) {
      if (storedContentOf(stored) === contentOf(value)) replayed++;
      else
        errors.push({
          line,
          field: "externalId",
          message: `"${value.externalId}" was already ingested with different content (${differingFields(stored, value).join(", ")}); a decision is immutable`,
        });
      continue;
    }
    const customer = customerByReference.get(value.customerReference);
    if (customer && !caller.regions.includes(customer.regionCode)) {
      outsideRegions(line, "customerReference", value.customerReference);
      continue;
    }
    if (customer && customer.regionCode !== value.region) {
      errors.push({ line, field: "customerReference", message: `"${value.customerReference}" is a customer of region ${customer.regionCode}, not ${value.region}; a customer stays in the region they were created in` });
      continue;
    }
    if (customer?.erasedAt) {
      errors.push({ line, field: "customerReference", message: `"${value.customerReference}" was erased on request of the customer; a new application needs a new reference` });
      continue;
    }
    if (value.ruleSetVersion && !ruleSetVersionIds.has(`${value.region}:${value.ruleSetVersion}`)) {
      errors.push({ line, field: "ruleSetVersion", message: `${value.ruleSetVersion} is not a rule-set version of region ${value.region}` });
      continue;
    }
    if (customer) {
      customerIdByReference.set(value.customerReference, customer.id);
    } else if (!customerIdByReference.has(value.customerReference)) {
      const id = randomUUID();
      customerIdByReference.set(value.customerReference, id);
      newCustomers.push({ id, reference: value.customerReference, regionCode: value.region });
    }
    fresh.push(parsed);
  }
  return { fresh, replayed, customerIdByReference, newCustomers, ruleSetVersionIds };
}

/** A customer the plan found live was erased before the batch's transaction locked it: plan again. */
class CustomerErasedMeanwhileError extends Error {}

/**
 * Locks the batch's existing customers against erasure for the rest of the transaction (FOR SHARE
 * waits for an erasure in flight) and checks none was erased since the plan read them outside it.
 */
async function lockLiveCustomers(tx: Tx, plan: DecisionPlan) {
  const created = new Set(plan.newCustomers.map((customer) => customer.id));
  const existing = [...new Set(plan.customerIdByReference.values())].filter((id) => !created.has(id));
  if (existing.length === 0) return;
  const rows = await tx.$queryRaw<{ erased: boolean }[]>`
    SELECT erased_at IS NOT NULL AS erased FROM customer WHERE id = ANY(${existing}::uuid[]) ORDER BY id FOR SHARE`;
  if (rows.some((row) => row.erased)) throw new CustomerErasedMeanwhileError("a customer of this batch was erased while it was being written");
}

/**
 * Writes the batch in one transaction. The rows go in as one INSERT … SELECT FROM unnest(…) per table:
 * Prisma's createMany binds every value separately and took ≈1 s for a thousand decisions, this ≈50 ms
 * (docs/benchmarks.md). Column types are cast explicitly; the values were validated above.
 */
async function writeDecisions(caller: ApiCaller, batch: BatchBody, lines: number, plan: DecisionPlan) {
  const rows = plan.fresh.map(({ value }) => ({ id: randomUUID(), value }));
  const reasons = rows.flatMap(({ id, value }) =>
    value.reasonCodes.map((reason, index) => ({ decisionId: id, position: index + 1, code: reason.code, contribution: reason.contribution ?? 0 })),
  );
  return db.$transaction(
    async (tx) => {
      await lockLiveCustomers(tx, plan);
      if (plan.newCustomers.length > 0) {
        await tx.$executeRaw`
          INSERT INTO customer (id, reference, region_code)
          SELECT * FROM unnest(${plan.newCustomers.map((customer) => customer.id)}::uuid[], ${plan.newCustomers.map((customer) => customer.reference)}::text[],
                               ${plan.newCustomers.map((customer) => customer.regionCode)}::varchar[])`;
        // Each customer's own data key, wrapped by the key-encryption key (ADR 009). The ledger key is
        // created when an event first seals something of theirs: an erasure plan destroys it whether it
        // exists yet or not (ADR 015), and a batch of new customers wraps half as many keys (ADR 020).
        await createSubjectKeys(tx, plan.newCustomers.map((customer) => ({ id: customer.id, kind: "customer" as const })), { withLedgerKey: false });
      }
      // The batch is counted into the dashboard rollups at its end, not at its first insert (ADR 017).
      await holdRollupsForBatch(tx);
      if (rows.length > 0) {
        await tx.$executeRaw`
          INSERT INTO decision (id, external_id, customer_id, kind, region_code, model_name, model_version, score, outcome, amount, currency,
                                features, rule_set_version_id, decided_at)
          SELECT * FROM unnest(
            ${rows.map(({ id }) => id)}::uuid[],
            ${rows.map(({ value }) => value.externalId)}::text[],
            ${rows.map(({ value }) => plan.customerIdByReference.get(value.customerReference)!)}::uuid[],
            ${rows.map(({ value }) => value.kind)}::text[]::"DecisionKind"[],
            ${rows.map(({ value }) => value.region)}::varchar[],
            ${rows.map(({ value }) => value.modelName)}::text[],
            ${rows.map(({ value }) => value.modelVersion)}::text[],
            ${rows.map(({ value }) => value.score)}::float8[],
            ${rows.map(({ value }) => value.outcome)}::text[]::"DecisionOutcome"[],
            ${rows.map(({ value }) => value.amount)}::numeric[],
            ${rows.map(({ value }) => value.currency)}::varchar[],
            ${rows.map(({ value }) => JSON.stringify(value.features))}::jsonb[],
            ${rows.map(({ value }) => (value.ruleSetVersion ? plan.ruleSetVersionIds.get(`${value.region}:${value.ruleSetVersion}`)! : null))}::uuid[],
            ${rows.map(({ value }) => value.decidedAt.toISOString())}::timestamptz[])`;
      }
      // Governance check (issue 9): a decision citing a rule-set version that was not in force in its
      // region at decidedAt is stored flagged, never silently accepted (explorer filter, compliance home).
      const flaggedRuleSetVersion = rows.length === 0 ? 0 : await tx.$executeRaw`
        UPDATE decision d SET rule_set_version_not_in_force = true
        WHERE d.id = ANY(${rows.map(({ id }) => id)}::uuid[]) AND d.rule_set_version_id IS NOT NULL
          AND d.rule_set_version_id IS DISTINCT FROM (
            SELECT v.id FROM rule_set_version v
            WHERE v.region_code = d.region_code AND v.state IN ('approved', 'active', 'retired') AND v.approved_at IS NOT NULL AND v.effective_from <= d.decided_at
            ORDER BY v.effective_from DESC LIMIT 1)`;
      if (reasons.length > 0) {
        await tx.$executeRaw`
          INSERT INTO decision_reason (decision_id, position, code, contribution)
          SELECT * FROM unnest(${reasons.map((reason) => reason.decisionId)}::uuid[], ${reasons.map((reason) => reason.position)}::smallint[],
                               ${reasons.map((reason) => reason.code)}::varchar[], ${reasons.map((reason) => reason.contribution)}::float8[])`;
      }
      const reviewsOpened = await openReviewsForIngestedDecisions(tx, rows.map((row) => row.id));
      await countDecisionsIntoRollups(tx, rows.map((row) => row.id));
      const counts = { lines, created: rows.length, replayed: plan.replayed, customersCreated: plan.newCustomers.length, reviewsOpened, flaggedRuleSetVersion };
      await auditAcceptedBatch(tx, caller, "decisions", batch, rows.map(({ value }) => value.region), counts);
      return { counts, created: rows.map(({ id, value }) => ({ id, externalId: value.externalId })) };
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}

/** Ingests one NDJSON batch of decisions for `caller` (a token with decisions:write). */
export async function ingestDecisions(caller: ApiCaller, request: Request): Promise<IngestResult> {
  const batch = await readBatchBody(caller, "decisions", request);
  if (isIngestResult(batch)) return batch;
  const batchLines = await parseBatch(caller, "decisions", batch, DecisionLineSchema);
  if (isIngestResult(batchLines)) return batchLines;
  const { lines, parsed, errors } = batchLines;
  if (lines === 0) return rejectBatch(caller, "decisions", { ...batch, lines }, 422, "the batch is empty (send one decision per line)", []);
  checkLines(caller, parsed, errors, new Date());

  for (let attempt = 1; ; attempt++) {
    const lineErrors = [...errors];
    // Lines already wrong stay out of the database checks; their errors are reported as they are.
    const failed = new Set(lineErrors.map((error) => error.line));
    const plan = await planAgainstDatabase(caller, parsed.filter(({ line }) => !failed.has(line)), lineErrors);
    if (lineErrors.length > 0) {
      const { status, message } = rejectionOf(lineErrors);
      return rejectBatch(caller, "decisions", { ...batch, lines }, status, message, lineErrors);
    }
    try {
      const { counts, created } = await writeDecisions(caller, batch, lines, plan);
      return { status: counts.created > 0 ? 201 : 200, body: { batchId: batch.id, ...counts, decisions: created } };
    } catch (error) {
      // A concurrent batch wrote the same external id or customer reference between our checks and
      // our insert: check again, so its lines become replays (or conflicts) of what it wrote.
      // Likewise when one of its customers was erased meanwhile: the next plan refuses those lines.
      if (attempt < 3 && (isUniqueViolation(error) || error instanceof CustomerErasedMeanwhileError)) continue;
      throw error;
    }
  }
}
