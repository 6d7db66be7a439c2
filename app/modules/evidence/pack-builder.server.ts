import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import yazl from "yazl";
import packageJson from "../../../package.json";
import { stringify } from "csv-stringify/sync";
import type { Prisma } from "~/generated/prisma/client";
import { accessibleWhere, defineAbilityFor, WITHHELD_FREE_TEXT, canReadPersonalData } from "~/modules/access/ability.server";
import { decryptReviewTexts } from "~/modules/decisions/review-text.server";
import { accessibleSql, SqlParameters, UnsupportedAccessCondition } from "~/modules/access/accessible-sql.server";
import { decisionSqlColumns } from "~/modules/decisions/decision-page.server";
import type { Actor } from "~/modules/access/actor.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import { createCheckpoint, latestCheckpoint, ledgerOrigin, signedNoteOf, type SignedCheckpoint } from "~/modules/audit/checkpoints.server";
import { eventLeafDocuments, type AuditEventFields } from "~/modules/audit/event-document";
import { publicKeyChain } from "~/modules/audit/signing-keys.server";
import { treeConsistencyProof } from "~/modules/audit/tree.server";
import { encryptedPersonalFields, readPersonalData } from "~/modules/customers/personal-data.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { unrestrictedSubjectFilter } from "~/modules/privacy/restriction";
import { db, queryRows } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { policiesDir } from "~/utils/policy-file.server";
import { BatchedInclusionProofs } from "./proof-batch.server";
import { CopyRowParser } from "~/modules/audit/raw-rows.server";
import { readInt64, type RawColumns } from "~/modules/audit/event-leaf-writer";
import { openPackReader, type PackReader, type PackReaderSession } from "./pack-reader.server";
import { PackStage, ROWS_PER_WRITE, type StagedFile } from "./pack-files.server";
import { indexHtml, verifyMarkdown } from "./pack-documents";
import { SAMPLE_METHOD, sampleMethodDescription, samplePositions } from "./sample";
import { periodOf, type PackScope } from "./schema";

// Building one evidence pack (issue 11, ADR 012, docs/evidence-packs.md), run by the evidence_pack.build
// job. Every file is staged on disk and hashed as it is written (batches of rows, never a whole table in
// memory); then manifest.json lists them all, is signed with the ledger's key, SHA256SUMS covers
// everything, and yazl streams the zip to a temporary file, hashed on the way. Only the job's final
// transaction (JobContext.complete) marks the pack downloadable, so nothing half-built is ever offered.

const BATCH = 2_000;
const MASK = "••••••";
export const APP_VERSION: string = packageJson.version;

export function packsDir() {
  return path.resolve(env.EVIDENCE_PACK_DIR);
}

export function stagingDirOf(packId: string) {
  return path.join(packsDir(), ".building", packId);
}

export function packFilePath(storageKey: string) {
  return path.join(packsDir(), storageKey);
}

/** Removes what an interrupted or failed build left (staging files, a partial zip). */
export function discardPartialPack(packId: string) {
  fs.rmSync(stagingDirOf(packId), { recursive: true, force: true });
  fs.rmSync(path.join(packsDir(), `${packId}.zip.partial`), { force: true });
}

/**
 * The verifier shipped in every pack, byte for byte app/modules/evidence/pack/verify.mjs: bundled into
 * the server build by Vite (import.meta.glob with ?raw), read beside this module when run from source.
 */
function verifierSource(): Buffer {
  try {
    const bundled = import.meta.glob<string>("./pack/verify.mjs", { query: "?raw", import: "default", eager: true })["./pack/verify.mjs"];
    if (typeof bundled === "string") return Buffer.from(bundled, "utf8");
  } catch {
    // Not built by Vite (tsx, vitest without the transform): read the file itself.
  }
  return fs.readFileSync(fileURLToPath(new URL("./pack/verify.mjs", import.meta.url)));
}

export interface BuildProgress {
  throwIfCancelled(): void;
  report(done: number, total: number | null, message: string): void;
}

export interface BuiltPack {
  storageKey: string;
  sha256: string;
  sizeBytes: number;
  manifestSha256: string;
  signature: string;
  rowCount: number;
  checkpoint: SignedCheckpoint;
  fileName: string;
}

type Requester = { id: string; email: string; displayName: string; role: Actor["user"]["role"]; regions: string[] };

/** The requester as the job sees them: their ability now, narrowed to the pack's regions. */
export function packActor(requester: Requester, regions: string[], jobId: string): Actor {
  return {
    sessionId: "",
    user: { ...requester, totpEnrolledAt: null },
    ability: defineAbilityFor(requester),
    meta: { requestId: `job:${jobId}`, ipAddress: null, userAgent: "attest evidence pack job" } as unknown as Actor["meta"],
    audit: { actorType: "staff", actorId: requester.id, actorLabel: requester.email, actorRole: requester.role, requestId: `job:${jobId}`, ipAddress: null },
    regionFilter: regions,
  };
}

const iso = (value: Date | null | undefined) => (value ? value.toISOString() : null);
/** Prisma `where` documents as JSON (dates as ISO text), for the manifest's exact queries. */
const queryDocument = (value: unknown) => JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === "bigint" ? item.toString() : item))) as unknown;

/** The decisions of a scope (the explorer's filters, within the requester's access and regions). */
export function decisionWhere(actor: Actor, scope: PackScope): Prisma.DecisionWhereInput {
  const { from, until } = periodOf(scope);
  const filter = scope.decisionFilter ?? {};
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "Decision"),
      { regionCode: { in: scope.regions } },
      unrestrictedSubjectFilter,
      { decidedAt: { gte: from, lt: until } },
      ...(filter.kind ? [{ kind: filter.kind }] : []),
      ...(filter.outcome ? [{ outcome: filter.outcome }] : []),
      ...(filter.review ? [{ reviewState: filter.review }] : []),
    ],
  };
}

export function reviewWhere(actor: Actor, scope: PackScope, contestsOnly = false): Prisma.ReviewWhereInput {
  const { from, until } = periodOf(scope);
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "Review"),
      { regionCode: { in: scope.regions } },
      { OR: [{ openedAt: { gte: from, lt: until } }, { decidedAt: { gte: from, lt: until } }] },
      ...(contestsOnly ? [{ trigger: "contest" as const }] : []),
    ],
  };
}

export function privacyRequestWhere(actor: Actor, scope: PackScope, type?: "contest"): Prisma.PrivacyRequestWhereInput {
  const { from, until } = periodOf(scope);
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "PrivacyRequest"),
      { regionCode: { in: scope.regions } },
      { OR: [{ receivedAt: { gte: from, lt: until } }, { completedAt: { gte: from, lt: until } }] },
      ...(type ? [{ type }] : []),
    ],
  };
}

export function ruleSetVersionWhere(actor: Actor, scope: PackScope): Prisma.RuleSetVersionWhereInput {
  const { from, until } = periodOf(scope);
  // In force at some time of the period: took effect before its end and not retired before its start.
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "RuleSetVersion"),
      { regionCode: { in: scope.regions } },
      { effectiveFrom: { lt: until } },
      { OR: [{ retiredAt: null }, { retiredAt: { gte: from } }] },
    ],
  };
}

const eventSubjectsOf: Record<string, string[]> = {
  decisions: ["Decision", "Customer"],
  reviews: ["Review"],
  contests: ["Review", "PrivacyRequest", "Decision"],
  privacyRequests: ["PrivacyRequest", "Customer"],
  ruleSets: ["RuleSetVersion", "RuleSet"],
  staffChanges: ["StaffUser"],
};

/** The ledger events of a scope, up to the pack's checkpoint. */
export function auditEventWhere(actor: Actor, scope: PackScope, treeSize: number): Prisma.AuditEventWhereInput {
  const { from, until } = periodOf(scope);
  const includeRegionless = scope.include.ledger || scope.include.staffChanges;
  const subjects = [...new Set(Object.entries(eventSubjectsOf).flatMap(([key, types]) => (scope.include[key as keyof PackScope["include"]] ? types : [])))];
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "AuditEvent"),
      { seq: { lte: BigInt(treeSize) } },
      // The time the action happened in the story (business time) where the event carries one.
      { OR: [{ businessTime: { gte: from, lt: until } }, { businessTime: null, occurredAt: { gte: from, lt: until } }] },
      { OR: [{ regionCode: { in: scope.regions } }, ...(includeRegionless ? [{ regionCode: null }] : [])] },
      ...(scope.include.ledger ? [] : [{ subjectType: { in: subjects } }]),
    ],
  };
}

/** Rows a scope would put in the pack, per dataset (the picker's estimate, and the job's progress total). */
export async function estimateRows(actor: Actor, scope: PackScope) {
  const latest = await latestCheckpoint();
  const treeSize = latest?.treeSize ?? 0;
  const [decisions, reviews, contests, privacyRequests, ruleSets, staffChanges, events] = await Promise.all([
    scope.include.decisions ? db.decision.count({ where: decisionWhere(actor, scope) }) : 0,
    scope.include.reviews ? db.review.count({ where: reviewWhere(actor, scope) }) : 0,
    scope.include.contests ? db.privacyRequest.count({ where: privacyRequestWhere(actor, scope, "contest") }) : 0,
    scope.include.privacyRequests ? db.privacyRequest.count({ where: privacyRequestWhere(actor, scope) }) : 0,
    scope.include.ruleSets ? db.ruleSetVersion.count({ where: ruleSetVersionWhere(actor, scope) }) : 0,
    scope.include.staffChanges ? db.auditEvent.count({ where: staffChangeWhere(actor, scope) }) : 0,
    db.auditEvent.count({ where: auditEventWhere(actor, scope, treeSize) }),
  ]);
  const counts = { decisions, reviews, contests, privacyRequests, ruleSets, staffChanges, events };
  return { counts, total: Object.values(counts).reduce((sum, count) => sum + count, 0) };
}

function staffChangeWhere(actor: Actor, scope: PackScope): Prisma.AuditEventWhereInput {
  const { from, until } = periodOf(scope);
  return {
    AND: [
      accessibleWhere(actor.ability, "read", "AuditEvent"),
      { action: { startsWith: "staff_user." } },
      { OR: [{ businessTime: { gte: from, lt: until } }, { businessTime: null, occurredAt: { gte: from, lt: until } }] },
    ],
  };
}

/** Keyset pages of `id`-ordered rows. */
async function* pages<Row extends { id: string }>(read: (after: string | null) => Promise<Row[]>) {
  let after: string | null = null;
  for (;;) {
    const rows = await read(after);
    if (rows.length > 0) yield rows;
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.id;
  }
}

const afterId = (after: string | null) => (after ? [{ id: { gt: after } }] : []);

export interface PackInput {
  packId: string;
  jobId: string;
  scope: PackScope;
  requester: Requester;
  createdAt: Date;
}

export async function buildEvidencePack(input: PackInput, progress: BuildProgress): Promise<BuiltPack> {
  const { packId, scope, requester } = input;
  const actor = packActor(requester, scope.regions, input.jobId);
  const outside = scope.regions.filter((region) => !requester.regions.includes(region));
  if (outside.length > 0) throw new Error(`the requester no longer holds region(s) ${outside.join(", ")}`);
  // Per region (the only thing the personal-data rules condition on): checking every row costs seconds.
  const personalDataByRegion = new Map<string, boolean>();
  const mayReadPersonalData = (regionCode: string) => {
    let may = personalDataByRegion.get(regionCode);
    if (may === undefined) personalDataByRegion.set(regionCode, (may = canReadPersonalData(actor.ability, { regionCode })));
    return may;
  };

  discardPartialPack(packId);
  const stage = new PackStage(stagingDirOf(packId));
  fs.mkdirSync(stage.dir, { recursive: true });
  const queries: Record<string, unknown> = {};
  const counts: Record<string, number> = {};

  // The ledger's key signs the manifest (and activates on a first start); the checkpoint every proof is
  // against is signed now if the ledger grew since the last one.
  const signer = await loadArtefactSigner();
  await createCheckpoint();
  const checkpoint = await latestCheckpoint();
  if (!checkpoint) throw new Error("the ledger has no signed checkpoint yet");

  // The progress total (the picker's estimate) is counted while the decisions are read: its counts take
  // PostgreSQL a second or two on a large book, and nothing but the progress bar waits for them.
  let total: number | null = null;
  const estimated = estimateRows(actor, scope).then((estimate) => {
    total = estimate.total + (scope.sample ? estimate.counts.decisions : 0);
    return total;
  });
  estimated.catch(() => undefined); // awaited (and its failure thrown) before the manifest
  let done = 0;
  const step = (rows: number, message: string) => {
    done += rows;
    progress.report(total === null ? done : Math.min(done, total), total, message);
    progress.throwIfCancelled();
  };
  step(0, "starting");

  const userNames = new Map((await db.staffUser.findMany({ select: { id: true, displayName: true, email: true } })).map((user) => [user.id, `${user.displayName} <${user.email}>`]));
  const staffName = (id: string | null) => (id ? (userNames.get(id) ?? id) : null);

  // ── Decisions and their customers ──
  if (scope.include.decisions) {
    const statement = decisionBatchStatement(actor, scope);
    const lines = decisionLinesStatement(actor, scope);
    const reader = await openPackReader();
    try {
      queries.decisions = {
        sql: reader.cursor ? lines.copyText() : lines.text("$cursorTime", "$cursorId"),
        parameters: queryDocument(lines.parameters),
        ...(reader.cursor
          ? {
              read: "COPY (sql, parameters inlined as literals) TO STDOUT (FORMAT binary) in a read-only REPEATABLE READ transaction (one snapshot for decisions and customers); the rows needing Node's rendering read by id in the same snapshot (an exported snapshot on a second connection)",
            }
          : { keyset: "(decided_at, id) after the previous batch's last row", batch: BATCH }),
        rendering: "PostgreSQL renders each row's JSONL and CSV up to the features; rows with a float it prints otherwise than ECMAScript are read with `rowsNeedingNodeRendering` and rendered in Node",
        rowsNeedingNodeRendering: statement.text(null, null),
      };
      const dataset = stage.dataset<DecisionRow>("data/decisions", "Decisions in scope with their ordered reason codes, oldest first", decisionColumns);
      await writeDecisions(actor, scope, dataset, (rows) => step(rows, "decisions"), reader);
      const [jsonl] = await dataset.close();
      counts.decisions = jsonl!.rows ?? 0;

      // Customers of those decisions, selected by PostgreSQL from the same conditions (no id set in
      // Node: memory stays flat with the book); personal data only where the requester may read it.
      const customerStatement = customersOfDecisionsStatement(actor, scope);
      queries.customers = {
        sql: reader.cursor ? customerStatement.text(null, false) : customerStatement.text("$afterId"),
        parameters: queryDocument(customerStatement.parameters),
        read: reader.cursor ? "COPY (SELECT id::text, reference, regionCode, createdAt, erasedAt FROM (sql) ORDER BY id, parameters inlined as literals) TO STDOUT (FORMAT binary), in the decisions' snapshot" : "keyset: id after the previous batch's last",
        where: queryDocument({ AND: [accessibleWhere(actor.ability, "read", "Customer"), { id: { in: "the customer_id of every decision above" } }, { isRestricted: false }] }),
        orderBy: { id: "asc" },
        personalData: "app/modules/customers/personal-data.server.ts readPersonalData, fields the requester may not read masked",
      };
      const customers = stage.dataset<CustomerRow & { personal: Record<string, string> }>(
        "data/customers",
        `Customers of the decisions in scope; personal data fields the requester may not read are "${MASK}"`,
        [
          { header: "customer_id", value: (row) => row.id },
          { header: "reference", value: (row) => row.reference },
          { header: "region", value: (row) => row.regionCode },
          { header: "created_at", value: (row) => iso(row.createdAt) },
          { header: "erased_at", value: (row) => iso(row.erasedAt) },
          ...encryptedPersonalFields.map((field) => ({ header: field, value: (row: { personal: Record<string, string> }) => row.personal[field] ?? null })),
        ],
      );
      step(0, "customers");
      for await (const rows of customerBatches(customerStatement, reader)) {
        const readable = rows.filter((row) => mayReadPersonalData(row.regionCode));
        // Read (and audited) only for customers the requester may see unmasked; nothing is decrypted otherwise.
        const views = readable.length > 0 ? await db.$transaction((tx) => readPersonalData(tx, readable.map((row) => row.id), { actor, purpose: `evidence pack ${packId}` })) : new Map();
        await customers.append(
          rows.map((row) => {
            const view = views.get(row.id);
            const personal: Record<string, string> = {};
            for (const field of encryptedPersonalFields) {
              if (row.erasedAt || view?.status === "absent") personal[field] = "";
              else if (view?.status === "shown" && typeof view.data[field] === "string") personal[field] = view.data[field]!;
              else personal[field] = MASK;
            }
            return { ...row, personal };
          }),
        );
        progress.throwIfCancelled();
      }
      await customers.close();
      step(0, "customers");
    } finally {
      await reader.close();
    }
  }

  // ── Reviews and overturns ──
  const reviewColumns = (dataset: string) =>
    stage.dataset<PackReviewRow>(dataset, dataset.endsWith("contest-reviews") ? "Reviews opened by contests" : "Reviews and overturns in scope", [
      { header: "review_id", value: (row) => row.id },
      { header: "decision_external_id", value: (row) => row.decision.externalId },
      { header: "region", value: (row) => row.regionCode },
      { header: "trigger", value: (row) => row.trigger },
      { header: "status", value: (row) => row.status },
      { header: "opened_at", value: (row) => iso(row.openedAt) },
      { header: "due_at", value: (row) => iso(row.dueAt) },
      { header: "reviewer", value: (row) => staffName(row.reviewerId) },
      { header: "verdict", value: (row) => row.verdict },
      { header: "verdict_reason", value: (row) => row.verdictReason },
      { header: "justification", value: (row) => (row.isJustificationWithheld ? WITHHELD_FREE_TEXT : row.justification) },
      { header: "decided_at", value: (row) => iso(row.decidedAt) },
      { header: "approver", value: (row) => staffName(row.approverId) },
      { header: "approved_at", value: (row) => iso(row.approvedAt) },
      { header: "closed_at", value: (row) => iso(row.closedAt) },
      { header: "is_overturn", value: (row) => row.verdict === "overturned" },
      { header: "privacy_request_reference", value: (row) => row.privacyRequest?.reference ?? null },
    ]);
  for (const [key, contestsOnly, base] of [
    ["reviews", false, "data/reviews"],
    ["contests", true, "data/contest-reviews"],
  ] as const) {
    if (!scope.include[key]) continue;
    const where = reviewWhere(actor, scope, contestsOnly);
    queries[base.slice(5)] = { model: "Review", where: queryDocument(where), orderBy: { id: "asc" } };
    const dataset = reviewColumns(base);
    for await (const rows of pages((after) => db.review.findMany({ where: { AND: [where, ...afterId(after)] }, orderBy: { id: "asc" }, take: BATCH, select: reviewSelect }))) {
      // The justification is ciphertext under the customer's key (ADR 020): decrypted here only where the
      // requester may read personal data, as on screen; otherwise neither text nor ciphertext goes in.
      const readable = rows.filter((row) => row.justification !== null && mayReadPersonalData(row.regionCode));
      const texts = await decryptReviewTexts(
        db,
        readable.map((row) => ({ owner: { customerId: row.decision.customerId, privacyRequestId: row.privacyRequestId }, value: row.justification })),
      );
      const textOf = new Map(readable.map((row, index) => [row.id, texts[index] ?? null]));
      await dataset.append(
        rows.map(({ justification, ...row }) => ({ ...row, justification: textOf.get(row.id) ?? null, isJustificationWithheld: justification !== null && !textOf.has(row.id) })),
      );
      if (key === "reviews") step(rows.length, "reviews");
    }
    const [jsonl] = await dataset.close();
    counts[base.slice(5)] = jsonl!.rows ?? 0;
  }

  // ── Contests and privacy requests ──
  for (const [key, type, base] of [
    ["contests", "contest", "data/contests"],
    ["privacyRequests", undefined, "data/privacy-requests"],
  ] as const) {
    if (!scope.include[key]) continue;
    const where = privacyRequestWhere(actor, scope, type);
    queries[base.slice(5)] = { model: "PrivacyRequest", where: queryDocument(where), orderBy: { id: "asc" } };
    const dataset = stage.dataset<Prisma.PrivacyRequestGetPayload<{ select: typeof privacySelect }>>(base, type ? "Contests of automated decisions" : "Privacy requests with their steps and artefact hashes", [
      { header: "reference", value: (row) => row.reference },
      { header: "type", value: (row) => row.type },
      { header: "region", value: (row) => row.regionCode },
      { header: "regime", value: (row) => row.regime },
      { header: "channel", value: (row) => row.channel },
      { header: "received_at", value: (row) => iso(row.receivedAt) },
      { header: "clock_started_at", value: (row) => iso(row.clockStartedAt) },
      { header: "due_at", value: (row) => iso(row.dueAt) },
      { header: "extended_due_at", value: (row) => iso(row.extendedDueAt) },
      { header: "identity_state", value: (row) => row.identityState },
      { header: "identity_verified_at", value: (row) => iso(row.identityVerifiedAt) },
      { header: "state", value: (row) => row.state },
      { header: "approver", value: (row) => staffName(row.approverId) },
      { header: "approved_at", value: (row) => iso(row.approvedAt) },
      { header: "completed_by", value: (row) => staffName(row.completedById) },
      { header: "completed_at", value: (row) => iso(row.completedAt) },
      { header: "customer_reference", value: (row) => row.customer?.reference ?? null },
      { header: "decision_external_id", value: (row) => row.decision?.externalId ?? null },
      // Contact details and the requester's own words are personal data, encrypted at rest (ADR 009).
      { header: "requester_name", value: (row) => (row.requesterName ? MASK : null) },
      { header: "requester_email", value: (row) => (row.requesterEmail ? MASK : null) },
      { header: "details", value: (row) => (row.details ? WITHHELD_FREE_TEXT : null) },
      { header: "artefacts", value: (row) => row.artefacts.map((artefact) => ({ kind: artefact.kind, fileName: artefact.fileName, sha256: artefact.sha256, sizeBytes: artefact.sizeBytes, createdAt: iso(artefact.createdAt) })) },
    ]);
    for await (const rows of pages((after) => db.privacyRequest.findMany({ where: { AND: [where, ...afterId(after)] }, orderBy: { id: "asc" }, take: BATCH, select: privacySelect }))) {
      await dataset.append(rows);
      step(rows.length, type ? "contests" : "privacy requests");
    }
    const [jsonl] = await dataset.close();
    counts[base.slice(5)] = jsonl!.rows ?? 0;
  }

  // ── Rule-set versions in force ──
  if (scope.include.ruleSets) {
    const where = ruleSetVersionWhere(actor, scope);
    queries["rule-set-versions"] = { model: "RuleSetVersion", where: queryDocument(where), orderBy: { id: "asc" } };
    const dataset = stage.dataset<Prisma.RuleSetVersionGetPayload<{ include: { ruleSet: true } }>>("data/rule-set-versions", "Rule-set versions in force during the period, with the SHA-256 of their parameters (RFC 8785 canonical JSON)", [
      { header: "version_id", value: (row) => row.id },
      { header: "rule_set", value: (row) => row.ruleSet.name },
      { header: "region", value: (row) => row.regionCode },
      { header: "version", value: (row) => row.version },
      { header: "state", value: (row) => row.state },
      { header: "effective_from", value: (row) => iso(row.effectiveFrom) },
      { header: "retired_at", value: (row) => iso(row.retiredAt) },
      { header: "author", value: (row) => staffName(row.authorId) },
      { header: "approver", value: (row) => staffName(row.approverId) },
      { header: "approved_at", value: (row) => iso(row.approvedAt) },
      { header: "parameters_sha256", value: (row) => createHash("sha256").update(canonicalJson(row.parameters)).digest("hex") },
      { header: "parameters", value: (row) => row.parameters },
    ]);
    for await (const rows of pages((after) => db.ruleSetVersion.findMany({ where: { AND: [where, ...afterId(after)] }, orderBy: { id: "asc" }, take: BATCH, include: { ruleSet: true } }))) {
      await dataset.append(rows);
      step(rows.length, "rule sets");
    }
    const [jsonl] = await dataset.close();
    counts["rule-set-versions"] = jsonl!.rows ?? 0;
  }

  // ── Staff and role changes (from the ledger) ──
  if (scope.include.staffChanges) {
    const where = staffChangeWhere(actor, scope);
    queries["staff-changes"] = { model: "AuditEvent", where: queryDocument(where), orderBy: { seq: "asc" } };
    const dataset = stage.dataset<{ seq: bigint; occurredAt: Date; businessTime: Date | null; actorLabel: string | null; actorRole: string | null; action: string; subjectId: string | null; changes: unknown }>(
      "data/staff-changes",
      "Staff account, role and region changes, as the ledger recorded them (its events are in audit/events.jsonl)",
      [
        { header: "seq", value: (row) => Number(row.seq) },
        { header: "occurred_at", value: (row) => iso(row.occurredAt) },
        { header: "business_time", value: (row) => iso(row.businessTime) },
        { header: "actor", value: (row) => row.actorLabel },
        { header: "actor_role", value: (row) => row.actorRole },
        { header: "action", value: (row) => row.action },
        { header: "staff_user_id", value: (row) => row.subjectId },
        { header: "changes", value: (row) => row.changes },
      ],
    );
    let after = 0n;
    for (;;) {
      const rows = await db.auditEvent.findMany({ where: { AND: [where, { seq: { gt: after } }] }, orderBy: { seq: "asc" }, take: BATCH, select: { seq: true, occurredAt: true, businessTime: true, actorLabel: true, actorRole: true, action: true, subjectId: true, changes: true } });
      await dataset.append(rows);
      step(rows.length, "staff changes");
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1]!.seq;
    }
    const [jsonl] = await dataset.close();
    counts["staff-changes"] = jsonl!.rows ?? 0;
  }

  // ── Sample ──
  let sampleManifest: Record<string, unknown> | null = null;
  let sampleRows: string[] = [];
  if (scope.sample) {
    const sample = scope.sample;
    const base = decisionWhere(actor, scope);
    const where: Prisma.DecisionWhereInput = { AND: [base, ...(sample.outcome ? [{ outcome: sample.outcome }] : []), ...(sample.review ? [{ reviewState: sample.review }] : [])] };
    queries["sample-population"] = { model: "Decision", where: queryDocument(where), orderBy: { id: "asc" } };
    const header = stringify([["decision_id", "external_id", "decided_at", "region", "outcome", "review_state", "customer_reference"]]);
    const population = stage.open("samples/population.csv", "The frozen sample population, one decision a line in decision_id order");
    await population.write(header);
    let populationSize = 0;
    for await (const rows of pages((after) =>
      db.decision.findMany({ where: { AND: [where, ...afterId(after)] }, orderBy: { id: "asc" }, take: BATCH, select: { id: true, externalId: true, decidedAt: true, regionCode: true, outcome: true, reviewState: true, customer: { select: { reference: true } } } }),
    )) {
      await population.write(stringify(rows.map((row) => [row.id, row.externalId, row.decidedAt.toISOString(), row.regionCode, row.outcome, row.reviewState, row.customer.reference])));
      populationSize += rows.length;
      step(rows.length, "sample population");
    }
    await population.close(populationSize);
    const positions = samplePositions(sample.seed, populationSize, sample.size);
    const drawOrder = new Map(positions.map((position, order) => [position, order]));
    sampleRows = new Array<string>(positions.length);
    const reader = readline.createInterface({ input: fs.createReadStream(stage.absolute("samples/population.csv")), crlfDelay: Infinity });
    let position = -1;
    for await (const line of reader) {
      // A copy of the line: as read it is a slice of the text chunk readline decoded, which it keeps
      // alive, so a sample spread over a large population would hold most of the file in memory.
      if (position >= 0 && drawOrder.has(position)) sampleRows[drawOrder.get(position)!] = Buffer.from(line, "utf8").toString("utf8");
      position++;
    }
    const sampleFile = stage.open("samples/sample.csv", "The drawn sample, in draw order (redraw it with verify.mjs or the method in manifest.json)");
    await sampleFile.write(header);
    await sampleFile.write(sampleRows.map((line) => `${line}\n`).join(""));
    await sampleFile.close(sampleRows.length);
    sampleManifest = {
      method: SAMPLE_METHOD,
      description: sampleMethodDescription,
      seed: sample.seed,
      size: sample.size,
      drawn: sampleRows.length,
      population: { outcome: sample.outcome ?? null, reviewState: sample.review ?? null, description: "decisions of the pack's scope (period, regions, decision filters) narrowed by outcome and review state" },
      populationFile: "samples/population.csv",
      populationSize,
      sampleFile: "samples/sample.csv",
    };
  }

  // ── Ledger: events with inclusion proofs, leaf hashes, checkpoints, consistency ──
  const eventWhere = auditEventWhere(actor, scope, checkpoint.treeSize);
  const eventStatement = auditEventsStatement(actor, scope, checkpoint.treeSize);
  const eventReader = eventStatement ? await openPackReader() : null;
  queries.events = {
    model: "AuditEvent",
    where: queryDocument(eventWhere),
    orderBy: { seq: "asc" },
    ...(eventReader?.cursor && eventStatement
      ? { sql: eventStatement.text, parameters: queryDocument(eventStatement.parameters), read: "COPY (sql, parameters inlined as literals) TO STDOUT (FORMAT binary) in a read-only REPEATABLE READ transaction" }
      : { keyset: "seq after the previous batch's last", batch: BATCH }),
    proofs: `RFC 6962 inclusion proofs against checkpoint ${checkpoint.number} (tree size ${checkpoint.treeSize})`,
  };
  const eventsFile = stage.open("audit/events.jsonl", `Ledger events in scope (each: leaf, content, leaf hash, RFC 6962 inclusion proof against checkpoint ${checkpoint.number})`);
  const prover = new BatchedInclusionProofs(checkpoint.treeSize);
  let eventCount = 0;
  try {
    for await (const rows of auditEventBatches(eventWhere, eventStatement, eventReader?.cursor ?? null)) {
      const proofs = await prover.proofs(rows.map((row) => Number(row.seq) - 1));
      for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
        let text = "";
        for (let index = start; index < Math.min(rows.length, start + ROWS_PER_WRITE); index++) {
          const row = rows[index]!;
          text += `${JSON.stringify({ seq: Number(row.seq), leafHash: row.leafHash, ...eventLeafDocuments(row), inclusionProof: proofs[index]!.map((hash) => hash.toString("hex")) })}\n`;
        }
        await eventsFile.write(text);
      }
      eventCount += rows.length;
      step(rows.length, "ledger events and proofs");
    }
  } finally {
    await eventReader?.close();
  }
  await eventsFile.close(eventCount);
  counts.events = eventCount;

  await createCheckpoint();
  const latest = (await latestCheckpoint())!;
  const leafFile = stage.open("audit/leaf-hashes.bin", `Every leaf hash of the ledger up to the latest checkpoint (${latest.treeSize} × 32 bytes, in sequence order): recompute any root from it`);
  await writeLeafHashes(leafFile, latest.treeSize, () => progress.throwIfCancelled());
  await leafFile.close();
  const checkpointJson = (cp: SignedCheckpoint) => `${JSON.stringify({ ...cp, signedNote: signedNoteOf(cp) }, null, 2)}\n`;
  await stage.writeFile("audit/checkpoint.json", checkpointJson(checkpoint), `The signed checkpoint every inclusion proof is against (number ${checkpoint.number})`);
  await stage.writeFile("audit/checkpoint.body", checkpoint.body, "The checkpoint's signed statement, exactly as signed (gpg --verify audit/checkpoint.body.asc audit/checkpoint.body)");
  await stage.writeFile("audit/checkpoint.body.asc", checkpoint.signature, "OpenPGP detached signature of audit/checkpoint.body");
  await stage.writeFile("audit/latest-checkpoint.json", checkpointJson(latest), `The latest signed checkpoint when the pack was built (number ${latest.number})`);
  const consistency = await treeConsistencyProof(db, checkpoint.treeSize, latest.treeSize);
  await stage.writeFile(
    "audit/consistency.json",
    `${JSON.stringify({ fromTreeSize: checkpoint.treeSize, fromRootHash: checkpoint.rootHash, toTreeSize: latest.treeSize, toRootHash: latest.rootHash, proof: consistency.map((hash) => hash.toString("hex")) }, null, 2)}\n`,
    "RFC 6962 consistency proof from the pack's checkpoint to the latest",
  );

  // ── Keys and policies ──
  // The same chain as GET /api/v1/audit/keys (signingKeyHistory), read here without the web routes' modules.
  const keys = await publicKeyChain(await ledgerOrigin());
  await stage.writeFile("keys/keys.json", `${JSON.stringify(keys, null, 2)}\n`, "The ledger's signing keys, oldest first, with their validity and transition statements");
  await stage.writeFile("keys/signing-keys.asc", keys.map((key) => key.armoredPublicKey.trim()).join("\n") + "\n", "The signing keys' armored OpenPGP public keys (gpg --import)");
  const policyFiles = ["access.yaml", "reason-codes.yaml", "retention.yaml", "privacy-regimes.yaml", "regions.yaml", "notices.yaml"];
  const policies: StagedFile[] = [];
  for (const name of policyFiles) {
    const source = path.join(policiesDir, name);
    if (!fs.existsSync(source)) continue;
    policies.push(await stage.writeFile(`policies/${name}`, fs.readFileSync(source), `Policy in force when the pack was built: policies/${name}`));
  }

  // ── Readers' files ──
  const createdAt = input.createdAt.toISOString();
  const origin = await ledgerOrigin();
  await stage.writeFile("verify.mjs", verifierSource(), "The offline verifier: node verify.mjs (Node.js standard library only)");
  await stage.writeFile("VERIFY.md", verifyMarkdown({ packId, fingerprint: signer.fingerprint, checkpoint, origin }), "How to verify this pack with standard tools");
  await stage.writeFile(
    "index.html",
    indexHtml({ packId, createdAt, requester, scope, counts, checkpoint, latest, fingerprint: signer.fingerprint, sample: sampleManifest, sampleRows: sampleRows.slice(0, 100) }),
    "A readable summary of the pack (opens offline)",
  );

  // ── Manifest, signature, SHA256SUMS ──
  const estimatedTotal = await estimated;
  const rowCount = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const manifest = {
    format: "attest-evidence-pack/v1",
    packId,
    createdAt,
    app: { name: "attest", version: APP_VERSION },
    requester: { id: requester.id, name: requester.displayName, email: requester.email, role: requester.role, regions: requester.regions },
    scope,
    period: { from: periodOf(scope).from.toISOString(), until: periodOf(scope).until.toISOString(), note: "half-open [from, until), UTC; ledger events by business time where they carry one, else recording time" },
    personalData: canReadPersonalData(actor.ability, { regionCode: scope.regions[0]! }) ? "shown where the requester may read it" : `masked ("${MASK}"); free text that may hold personal data withheld`,
    queries,
    counts,
    ledger: { origin },
    checkpoint: { number: checkpoint.number, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, timestamp: checkpoint.timestamp, keyFingerprint: checkpoint.keyFingerprint },
    latestCheckpoint: { number: latest.number, treeSize: latest.treeSize, rootHash: latest.rootHash, timestamp: latest.timestamp },
    signature: { file: "manifest.json.asc", keyFingerprint: signer.fingerprint, algorithm: "OpenPGP detached signature, EdDSA (Ed25519)" },
    policies: policies.map((policy) => ({ path: policy.path, sha256: policy.sha256 })),
    sample: sampleManifest,
    files: stage.files.map((file) => ({ path: file.path, sha256: file.sha256, size: file.size, ...(file.rows === undefined ? {} : { rows: file.rows }), description: file.description })),
  };
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  const manifestBytes = Buffer.from(manifestText, "utf8");
  const signature = await signer.sign(manifestBytes);
  const manifestFile = await stage.writeFile("manifest.json", manifestBytes, "");
  const signatureFile = await stage.writeFile("manifest.json.asc", signature, "");
  const everything = [...stage.files.filter((file) => file !== manifestFile && file !== signatureFile), manifestFile, signatureFile];
  await stage.writeFile("SHA256SUMS", everything.map((file) => `${file.sha256}  ${file.path}\n`).join(""), "");
  progress.report(estimatedTotal, estimatedTotal, "writing the zip");

  // ── The zip, streamed to a temporary file and hashed on the way ──
  const order = ["manifest.json", "manifest.json.asc", "SHA256SUMS", "VERIFY.md", "verify.mjs", "index.html"];
  const names = [...order, ...stage.files.map((file) => file.path).filter((name) => !order.includes(name))];
  const zip = new yazl.ZipFile();
  const mtime = input.createdAt;
  for (const name of names) zip.addFile(stage.absolute(name), `evidence-pack-${packId.slice(0, 8)}/${name}`, { mtime, mode: 0o100644, compress: !name.endsWith(".bin") });
  zip.end();
  const partial = path.join(packsDir(), `${packId}.zip.partial`);
  const zipHash = createHash("sha256");
  let zipSize = 0;
  await pipeline(
    zip.outputStream as unknown as NodeJS.ReadableStream,
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        zipHash.update(chunk);
        zipSize += chunk.length;
        callback(null, chunk);
      },
    }),
    fs.createWriteStream(partial, { flags: "w" }),
  );
  const storageKey = `${packId}.zip`;
  fs.renameSync(partial, packFilePath(storageKey));
  fs.rmSync(stage.dir, { recursive: true, force: true });
  return {
    storageKey,
    sha256: zipHash.digest("hex"),
    sizeBytes: zipSize,
    manifestSha256: manifestFile.sha256,
    signature,
    rowCount,
    checkpoint,
    fileName: `evidence-pack-${createdAt.slice(0, 10)}-${packId.slice(0, 8)}.zip`,
  };
}

/** An event as the pack writes it: the ledger's fields (times as ISO text or Dates) and the leaf hash in hex. */
type PackEventRow = AuditEventFields & { leafHash: string | null };

/** AuditEvent's own non-null columns, as access conditions may name them (a nullable one fails closed). */
const auditEventSqlColumns = {
  seq: { sql: "e.seq", type: "bigint" },
  id: { sql: "e.id", type: "uuid" },
  occurredAt: { sql: "e.occurred_at", type: "timestamptz" },
  actorType: { sql: "e.actor_type", type: "text" },
  action: { sql: "e.action", type: "text" },
  subjectType: { sql: "e.subject_type", type: "text" },
} as const;

/**
 * The ledger events of a scope (auditEventWhere's conditions, in seq order) as one statement whose
 * columns are all text, for `COPY … (FORMAT binary)`; null when the requester's access to events names
 * something the SQL translation does not take (those builds read the events through Prisma).
 */
export function auditEventsStatement(actor: Actor, scope: PackScope, treeSize: number) {
  const { from, until } = periodOf(scope);
  const includeRegionless = scope.include.ledger || scope.include.staffChanges;
  const subjects = [...new Set(Object.entries(eventSubjectsOf).flatMap(([key, types]) => (scope.include[key as keyof PackScope["include"]] ? types : [])))];
  const parameters = new SqlParameters();
  let access: string;
  try {
    access = accessibleSql(actor.ability, "read", "AuditEvent", auditEventSqlColumns, parameters);
  } catch (error) {
    if (error instanceof UnsupportedAccessCondition) return null;
    throw error;
  }
  const regions = parameters.in("e.region_code", scope.regions, "text");
  const conditions = [
    access,
    `e.seq <= ${parameters.add(treeSize, "bigint")}`,
    `((e.business_time >= ${parameters.add(from, "timestamptz")} AND e.business_time < ${parameters.add(until, "timestamptz")}) OR (e.business_time IS NULL AND e.occurred_at >= ${parameters.add(from, "timestamptz")} AND e.occurred_at < ${parameters.add(until, "timestamptz")}))`,
    includeRegionless ? `(${regions} OR e.region_code IS NULL)` : regions,
    ...(scope.include.ledger ? [] : [parameters.in("e.subject_type", subjects, "text")]),
  ];
  return {
    parameters: [...parameters.values],
    text: `SELECT e.seq::text, e.id::text, ${sqlIso("e.occurred_at")}, e.actor_type, e.actor_id, e.actor_label, e.actor_role, e.action, e.subject_type, e.subject_id, e.region_code::text,
       e.justification, e.changes::text, e.request_id, e.ip_address, encode(e.leaf_hash, 'hex'), ${sqlIso("e.business_time")}, e.tag, e.tag_key_id
  FROM audit_event e
 WHERE ${conditions.join(" AND ")}
 ORDER BY e.seq`,
  };
}

/**
 * The events of a scope in seq order, BATCH at a time: COPY rows decoded straight into the fields the
 * leaf documents need (text as PostgreSQL sent it, `changes` parsed from its jsonb text as Prisma
 * parses it, times as the ISO text toISOString gives) where the reader and the statement allow it;
 * otherwise keyset pages through Prisma.
 */
export async function* auditEventBatches(where: Prisma.AuditEventWhereInput, statement: ReturnType<typeof auditEventsStatement>, reader: PackReader | null): AsyncGenerator<PackEventRow[]> {
  if (!reader || !statement) {
    let lastSeq = 0n;
    for (;;) {
      const rows = await db.auditEvent.findMany({ where: { AND: [where, { seq: { gt: lastSeq } }] }, orderBy: { seq: "asc" }, take: BATCH });
      if (rows.length > 0) yield rows.map((row) => ({ ...row, leafHash: row.leafHash ? Buffer.from(row.leafHash).toString("hex") : null }));
      if (rows.length < BATCH) return;
      lastSeq = rows[rows.length - 1]!.seq;
    }
  }
  const columns: RawColumns = { buffers: new Array<Buffer | null>(19).fill(null), starts: new Int32Array(19), ends: new Int32Array(19) };
  const text = (column: number) => (columns.starts[column]! < 0 ? null : columns.buffers[column]!.toString("utf8", columns.starts[column], columns.ends[column]));
  let rows: PackEventRow[] = [];
  const parser = new CopyRowParser(columns, () => {
    const changes = text(12);
    rows.push({
      seq: Number(text(0)),
      id: text(1)!,
      occurredAt: text(2)!,
      actorType: text(3)!,
      actorId: text(4),
      actorLabel: text(5),
      actorRole: text(6),
      action: text(7)!,
      subjectType: text(8)!,
      subjectId: text(9),
      regionCode: text(10),
      justification: text(11),
      changes: changes === null ? null : (JSON.parse(changes) as unknown),
      requestId: text(13),
      ipAddress: text(14),
      leafHash: text(15),
      businessTime: text(16),
      tag: text(17),
      tagKeyId: text(18),
    });
  });
  for await (const chunk of reader.copyBinary(statement.text, statement.parameters)) {
    parser.push(chunk);
    while (rows.length >= BATCH) {
      const batch = rows.slice(0, BATCH);
      rows = rows.slice(BATCH);
      yield batch;
    }
  }
  parser.end();
  if (rows.length > 0) yield rows;
}

/**
 * Every leaf hash of the ledger up to `treeSize`, in seq order, checked to skip no event: on PostgreSQL
 * one `COPY … (FORMAT binary)` in its own snapshot, each network chunk's hashes written as one buffer
 * (views of the chunk); on the embedded database pages of 20,000 rows.
 */
async function writeLeafHashes(file: { write(chunk: Buffer): Promise<void> }, treeSize: number, throwIfCancelled: () => void) {
  let leafSeq = 0;
  const next = (seq: number) => {
    if (seq !== ++leafSeq) throw new Error(`the ledger skips from event ${leafSeq - 1} to ${seq}`);
  };
  const reader = await openPackReader();
  try {
    if (!reader.cursor) {
      while (leafSeq < treeSize) {
        const rows = await queryRows<{ seq: string; leaf_hash: Buffer | null }>(`SELECT seq, leaf_hash FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 20000`, [leafSeq, treeSize]);
        if (rows.length === 0) break;
        for (const row of rows) {
          next(Number(row.seq));
          if (!row.leaf_hash) throw new Error(`the ledger's event ${row.seq} has no leaf hash`);
        }
        await file.write(Buffer.concat(rows.map((row) => row.leaf_hash!)));
        throwIfCancelled();
      }
    } else {
      const columns: RawColumns = { buffers: [null, null], starts: new Int32Array(2), ends: new Int32Array(2) };
      let parts: Buffer[] = [];
      const parser = new CopyRowParser(columns, () => {
        const seq = readInt64(columns.buffers[0]!, columns.starts[0]!);
        next(seq);
        if (columns.starts[1]! < 0) throw new Error(`the ledger's event ${seq} has no leaf hash`);
        parts.push(columns.buffers[1]!.subarray(columns.starts[1], columns.ends[1]));
      });
      for await (const chunk of reader.cursor.copyBinary(`SELECT seq, leaf_hash FROM audit_event WHERE seq <= $1::bigint ORDER BY seq`, [treeSize])) {
        parser.push(chunk);
        if (parts.length === 0) continue;
        const bytes = Buffer.concat(parts);
        parts = [];
        await file.write(bytes);
        throwIfCancelled();
      }
      parser.end();
    }
  } finally {
    await reader.close();
  }
  if (leafSeq < treeSize) throw new Error(`the ledger has no event ${leafSeq + 1}`);
}

/** Customer's own non-null columns, as access conditions may name them. */
const customerSqlColumns = {
  id: { sql: "c.id", type: "uuid" },
  reference: { sql: "c.reference", type: "text" },
  regionCode: { sql: "c.region_code", type: "text" },
  isRestricted: { sql: "c.is_restricted", type: "boolean" },
} as const;

export interface DecisionRow {
  id: string;
  external_id: string;
  decided_at: Date;
  ingested_at: Date;
  region_code: string;
  kind: string;
  outcome: string;
  score: number;
  amount: string;
  currency: string;
  model_name: string;
  model_version: string;
  rule_set_version: number | null;
  review_state: string;
  reference: string;
  customer_id: string;
  features: unknown;
  reasons: { code: string; contribution: number }[];
}

/**
 * The decisions of a scope as one statement per batch (the explorer's approach, ADR 006): the viewer's
 * access translated from CASL (failing closed on conditions it cannot translate), the regions, period
 * and filters, restricted customers left out, reasons aggregated in order; keyset on (decided_at, id).
 */
export function decisionBatchStatement(actor: Actor, scope: PackScope, onlyIds?: string[]) {
  const parameters = new SqlParameters();
  const { from, until } = periodOf(scope);
  const filter = scope.decisionFilter ?? {};
  const conditions = [
    accessibleSql(actor.ability, "read", "Decision", decisionSqlColumns, parameters),
    parameters.in("d.region_code", scope.regions, "text"),
    "NOT c.is_restricted",
    `d.decided_at >= ${parameters.add(from, "timestamptz")}`,
    `d.decided_at < ${parameters.add(until, "timestamptz")}`,
  ];
  if (filter.kind) conditions.push(`d.kind = ${parameters.add(filter.kind, '"DecisionKind"')}`);
  if (filter.outcome) conditions.push(`d.outcome = ${parameters.add(filter.outcome, '"DecisionOutcome"')}`);
  if (filter.review) conditions.push(`d.review_state = ${parameters.add(filter.review, '"ReviewState"')}`);
  if (onlyIds) conditions.push(`d.id = ANY(${parameters.add(onlyIds, "uuid[]")})`);
  const values = [...parameters.values];
  return {
    parameters: values,
    /** The conditions on d (decision), c (customer), v (rule-set version). */
    where: conditions.join(" AND "),
    text: (cursorTime: string | null, cursorId: string | null) => `SELECT d.id, d.external_id, d.decided_at, d.ingested_at, d.region_code, d.kind::text AS kind, d.outcome::text AS outcome, d.score,
       d.amount::text AS amount, d.currency, d.model_name, d.model_version, v.version AS rule_set_version, d.review_state::text AS review_state,
       c.reference, d.customer_id, d.features,
       COALESCE((SELECT json_agg(json_build_object('code', r.code, 'contribution', r.contribution) ORDER BY r.position) FROM decision_reason r WHERE r.decision_id = d.id), '[]'::json) AS reasons
  FROM decision d JOIN customer c ON c.id = d.customer_id LEFT JOIN rule_set_version v ON v.id = d.rule_set_version_id
 WHERE ${conditions.join(" AND ")}${cursorTime && cursorId ? ` AND (d.decided_at, d.id) > (${cursorTime}, ${cursorId})` : ""}
 ORDER BY d.decided_at, d.id LIMIT ${BATCH}`,
  };
}

/** The decisions files' columns (JSONL keys and CSV headers, in order), as Node renders a row. */
export const decisionColumns: { header: string; value: (row: DecisionRow) => unknown }[] = [
    { header: "decision_id", value: (row) => row.id },
    { header: "external_id", value: (row) => row.external_id },
    { header: "decided_at", value: (row) => iso(row.decided_at) },
    { header: "ingested_at", value: (row) => iso(row.ingested_at) },
    { header: "region", value: (row) => row.region_code },
    { header: "kind", value: (row) => row.kind },
    { header: "outcome", value: (row) => row.outcome },
    { header: "score", value: (row) => row.score },
    { header: "amount", value: (row) => row.amount },
    { header: "currency", value: (row) => row.currency },
    { header: "model_name", value: (row) => row.model_name },
    { header: "model_version", value: (row) => row.model_version },
    { header: "rule_set_version", value: (row) => row.rule_set_version },
    { header: "review_state", value: (row) => row.review_state },
    { header: "customer_reference", value: (row) => row.reference },
    { header: "reason_codes", value: (row) => row.reasons },
    { header: "features", value: (row) => row.features },
];

/**
 * Writes the decisions of a scope to their dataset, oldest first; `onBatch` sees each batch once it is
 * written (for progress). Through the reader's cursor where it has one (PostgreSQL), else by keyset.
 */
export async function writeDecisions(actor: Actor, scope: PackScope, dataset: DecisionDataset, onBatch: (rows: number) => void, reader?: PackReaderSession) {
  const lines = decisionLinesStatement(actor, scope);
  if (reader?.cursor) {
    await copyDecisions(actor, scope, dataset, onBatch, lines, reader.cursor);
    return;
  }
  const query = reader?.query ?? queryRows;
  // PostgreSQL renders each row's JSONL and CSV text (decisionLinesStatement); Node only appends the
  // features (its JSON.stringify, as before) and hashes. A row whose floats PostgreSQL cannot print as
  // ECMAScript does (see renderableFloat) is rendered by the columns above, from decisionBatchStatement.
  // Either way the next batch is being read while Node writes this one.
  for await (const rows of keysetDecisionBatches(lines, query)) {
    const inexact = rows.filter((row) => row.jsonl_head === null).map((row) => row.id);
    const fallback = new Map<string, DecisionRow>();
    if (inexact.length > 0) {
      const exactStatement = decisionBatchStatement(actor, scope, inexact);
      for (const row of await query<DecisionRow>(exactStatement.text(null, null), exactStatement.parameters)) fallback.set(row.id, row);
    }
    // A few rows per write (ROWS_PER_WRITE): short strings, collected young.
    for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
      const end = Math.min(rows.length, start + ROWS_PER_WRITE);
      let jsonlText = "";
      let csvText = "";
      for (let index = start; index < end; index++) {
        const row = rows[index]!;
        if (row.jsonl_head === null) {
          const rendered = dataset.render(fallback.get(row.id)!);
          jsonlText += rendered.jsonl;
          csvText += rendered.csv;
          continue;
        }
        const features = row.features === undefined ? null : row.features;
        jsonlText += `${row.jsonl_head}${JSON.stringify(features)}}\n`;
        csvText += `${row.csv_head}${csvFeaturesCell(features)}\n`;
      }
      await dataset.appendRendered(jsonlText, csvText, end - start);
    }
    onBatch(rows.length);
  }
}

const NOTHING = Buffer.alloc(0);

/**
 * The decision lines as `COPY … TO STDOUT (FORMAT binary)` bytes (PostgreSQL): the heads PostgreSQL
 * rendered go from the network chunk to the file as bytes, with no JavaScript string or object per
 * field; Node adds each row's features (pg's JSON.parse of the jsonb text, then JSON.stringify, exactly
 * as the query path) and the line ends. Rows needing Node's float formatting are read by id in the same
 * snapshot on the reader's second connection. Each network chunk's rows are written together.
 */
async function copyDecisions(actor: Actor, scope: PackScope, dataset: DecisionDataset, onBatch: (rows: number) => void, lines: ReturnType<typeof decisionLinesStatement>, reader: PackReader) {
  let jsonlParts: Buffer[] = [];
  let csvParts: Buffer[] = [];
  let fallback: { id: string; at: number }[] = [];
  let count = 0;
  const columns: RawColumns = { buffers: [null, null, null, null], starts: new Int32Array(4), ends: new Int32Array(4) };
  const parser = new CopyRowParser(columns, () => {
    const data = columns.buffers[0]!;
    count++;
    if (columns.starts[1]! < 0) {
      fallback.push({ id: data.toString("latin1", columns.starts[0], columns.ends[0]), at: jsonlParts.length });
      jsonlParts.push(NOTHING);
      csvParts.push(NOTHING);
      return;
    }
    const features = columns.starts[3]! < 0 ? null : (JSON.parse(data.toString("utf8", columns.starts[3], columns.ends[3])) as unknown);
    jsonlParts.push(data.subarray(columns.starts[1], columns.ends[1]), Buffer.from(`${JSON.stringify(features)}}\n`));
    csvParts.push(data.subarray(columns.starts[2], columns.ends[2]), Buffer.from(`${csvFeaturesCell(features)}\n`));
  });
  for await (const chunk of reader.copyBinary(lines.copyText(), lines.parameters)) {
    parser.push(chunk);
    if (count === 0) continue;
    if (fallback.length > 0) {
      const exactStatement = decisionBatchStatement(actor, scope, fallback.map((row) => row.id));
      const exact = new Map((await reader.sideQuery<DecisionRow>(exactStatement.text(null, null), exactStatement.parameters)).map((row) => [row.id, row]));
      for (const { id, at } of fallback) {
        const row = exact.get(id);
        if (!row) throw new Error(`decision ${id} was not found again in the pack's snapshot`);
        const rendered = dataset.render(row);
        jsonlParts[at] = Buffer.from(rendered.jsonl);
        csvParts[at] = Buffer.from(rendered.csv);
      }
    }
    // Buffers live outside V8's heap; the parts are views of the chunk or a few bytes each.
    const jsonl = Buffer.concat(jsonlParts);
    const csv = Buffer.concat(csvParts);
    const written = count;
    jsonlParts = [];
    csvParts = [];
    fallback = [];
    count = 0;
    await dataset.appendRendered(jsonl, csv, written);
    onBatch(written);
  }
  parser.end();
}

/** Keyset pages of the decision lines (the single-session database), one batch queried ahead. */
async function* keysetDecisionBatches(lines: ReturnType<typeof decisionLinesStatement>, query: <Row>(text: string, parameters: unknown[]) => Promise<Row[]>) {
  const fetchBatch = (cursor: { time: string; id: string } | null) => {
    const next = cursor ? [`$${lines.parameters.length + 1}::timestamptz`, `$${lines.parameters.length + 2}::uuid`] : [null, null];
    return query<DecisionLine>(lines.text(next[0]!, next[1]!), cursor ? [...lines.parameters, cursor.time, cursor.id] : lines.parameters);
  };
  let pending: Promise<DecisionLine[]> | null = fetchBatch(null);
  try {
    while (pending) {
      const rows: DecisionLine[] = await pending;
      if (rows.length === 0) return;
      const last: DecisionLine = rows[rows.length - 1]!;
      pending = rows.length < BATCH ? null : fetchBatch({ time: last.cursor_time, id: last.id });
      // Settled by the next turn of the loop; an error there is thrown by that await.
      pending?.catch(() => undefined);
      yield rows;
    }
  } finally {
    await pending?.catch(() => undefined);
  }
}

interface CustomerRow {
  id: string;
  reference: string;
  regionCode: string;
  createdAt: Date;
  erasedAt: Date | null;
}

/**
 * The customers of a scope's decisions (the decisions' own conditions, as a semi-join), within the
 * requester's access to customers, restricted ones left out, in id order.
 */
export function customersOfDecisionsStatement(actor: Actor, scope: PackScope) {
  const decisions = decisionBatchStatement(actor, scope);
  const parameters = new SqlParameters();
  for (const value of decisions.parameters) parameters.values.push(value);
  const access = accessibleSql(actor.ability, "read", "Customer", customerSqlColumns, parameters);
  const values = [...parameters.values];
  return {
    parameters: values,
    /** Keyset (after a placeholder) with LIMIT BATCH, or (`limit` false) all of them for a server-side cursor. */
    text: (afterId: string | null, limit = true) => `SELECT c.id, c.reference, c.region_code AS "regionCode", c.created_at AS "createdAt", c.erased_at AS "erasedAt" FROM customer c
 WHERE c.id IN (SELECT d.customer_id FROM decision d JOIN customer c ON c.id = d.customer_id LEFT JOIN rule_set_version v ON v.id = d.rule_set_version_id WHERE ${decisions.where})
   AND NOT c.is_restricted AND ${access}${afterId ? ` AND c.id > ${afterId}` : ""}
 ORDER BY c.id${limit ? ` LIMIT ${BATCH}` : ""}`,
  };
}

/** The customers of a scope's decisions in id order: COPY rows through the reader on PostgreSQL, else keyset pages. */
export async function* customerBatches(statement: ReturnType<typeof customersOfDecisionsStatement>, reader: PackReaderSession): AsyncGenerator<CustomerRow[]> {
  if (reader.cursor) {
    yield* copyCustomers(statement, reader.cursor);
    return;
  }
  const afterParameter = `$${statement.parameters.length + 1}::uuid`;
  let after: string | null = null;
  for (;;) {
    const rows: CustomerRow[] = await reader.query<CustomerRow>(statement.text(after === null ? null : afterParameter), after === null ? statement.parameters : [...statement.parameters, after]);
    if (rows.length > 0) yield rows;
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1]!.id;
  }
}

// PostgreSQL's binary timestamptz counts microseconds from 2000-01-01 UTC.
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/**
 * The customers as `COPY … (FORMAT binary)` rows (PostgreSQL), one network chunk's rows at a time:
 * no pg row object or per-field parsing; each row is decoded straight into the CustomerRow the query
 * path gave (the same strings, and Dates at the same millisecond: the columns are timestamptz(3)). A
 * COPY is planned for all its rows (what the customers' semi-join needs: a hash join and one sort).
 */
async function* copyCustomers(statement: ReturnType<typeof customersOfDecisionsStatement>, reader: PackReader): AsyncGenerator<CustomerRow[]> {
  const columns: RawColumns = { buffers: [null, null, null, null, null], starts: new Int32Array(5), ends: new Int32Array(5) };
  let rows: CustomerRow[] = [];
  const text = (column: number) => columns.buffers[column]!.toString("utf8", columns.starts[column], columns.ends[column]);
  const time = (column: number) => (columns.starts[column]! < 0 ? null : new Date(POSTGRES_EPOCH_MS + Math.floor(readInt64(columns.buffers[column]!, columns.starts[column]!) / 1000)));
  const parser = new CopyRowParser(columns, () => {
    rows.push({ id: text(0), reference: text(1), regionCode: text(2), createdAt: time(3)!, erasedAt: time(4) });
  });
  const select = `SELECT c.id::text, c.reference, c."regionCode", c."createdAt", c."erasedAt" FROM (${statement.text(null, false)}) c ORDER BY c.id`;
  for await (const chunk of reader.copyBinary(select, statement.parameters)) {
    parser.push(chunk);
    if (rows.length === 0) continue;
    const batch = rows;
    rows = [];
    yield batch;
  }
  parser.end();
}

type DecisionDataset = Pick<ReturnType<PackStage["dataset"]>, "appendRendered"> & { render(row: DecisionRow): { jsonl: string; csv: string } };

interface DecisionLine {
  id: string;
  customer_id: string;
  /** The decided_at of the row as text, for the keyset. */
  cursor_time: string;
  /** The JSONL object up to `"features":`, or null when a float of the row needs ECMAScript's formatting. */
  jsonl_head: string | null;
  /** The CSV record up to the features cell (with its comma). */
  csv_head: string | null;
  features: unknown;
}

/** A CSV cell as csv-stringify writes it (quoted when it holds a quote, comma or line break). */
function csvCell(value: string) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The features cell: JSON text for objects and arrays, the value itself otherwise (as `cell` does). */
function csvFeaturesCell(features: unknown) {
  if (features === null || features === undefined) return "";
  if (typeof features === "object") return csvCell(JSON.stringify(features));
  return stringify([[features]]).slice(0, -1);
}

// SQL pieces that print a value byte for byte as the Node path did (JSON.stringify of pg's values and
// csv-stringify of the same cells). Text: to_json escapes exactly as JSON.stringify (", \\, \b \f \n
// \r \t, other controls as lowercase \u00XX; UTF-8 passed through). Times: toISOString (milliseconds,
// "Z"; the columns are timestamptz(3)). Doubles: PostgreSQL 12+ prints the shortest round-trip digits,
// as ECMAScript does, but switches to exponents at other magnitudes (1e-05 vs 0.00001) and prints -0:
// only 0 and 1e-4 ≤ |x| < 1e15 are rendered here, any other value sends the row to the Node path.
const sqlJsonText = (expression: string) => `COALESCE(to_json(${expression})::text, 'null')`;
const sqlCsvText = (expression: string) => `COALESCE(CASE WHEN ${expression} ~ '[",\r\n]' THEN '"' || replace(${expression}, '"', '""') || '"' ELSE ${expression} END, '')`;
const sqlIso = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const renderableFloat = (expression: string) => `CASE WHEN ${expression} = 0 THEN '0' WHEN ${expression} <> 'NaN'::float8 AND abs(${expression}) >= 1e-4 AND abs(${expression}) < 1e15 THEN ${expression}::text END`;

/**
 * The decisions of a scope (the same conditions and order as decisionBatchStatement) with each row's
 * JSONL and CSV text rendered by PostgreSQL up to the features; reasons through a LATERAL aggregate.
 */
export function decisionLinesStatement(actor: Actor, scope: PackScope) {
  const base = decisionBatchStatement(actor, scope);
  const where = base.where;
  const jsonField = (name: string, value: string, first = false) => `'${first ? "{" : ","}"${name}":' || ${value}`;
  const head = [
    jsonField("decision_id", sqlJsonText("d.id::text"), true),
    jsonField("external_id", sqlJsonText("d.external_id")),
    jsonField("decided_at", sqlJsonText(sqlIso("d.decided_at"))),
    jsonField("ingested_at", sqlJsonText(sqlIso("d.ingested_at"))),
    jsonField("region", sqlJsonText("d.region_code")),
    jsonField("kind", sqlJsonText("d.kind::text")),
    jsonField("outcome", sqlJsonText("d.outcome::text")),
    jsonField("score", "s.score"),
    jsonField("amount", sqlJsonText("d.amount::text")),
    jsonField("currency", sqlJsonText("d.currency")),
    jsonField("model_name", sqlJsonText("d.model_name")),
    jsonField("model_version", sqlJsonText("d.model_version")),
    jsonField("rule_set_version", "COALESCE(v.version::text, 'null')"),
    jsonField("review_state", sqlJsonText("d.review_state::text")),
    jsonField("customer_reference", sqlJsonText("c.reference")),
    jsonField("reason_codes", "rs.reasons"),
    `',"features":'`,
  ].join(" || ");
  const csv = [
    sqlCsvText("d.id::text"),
    sqlCsvText("d.external_id"),
    sqlIso("d.decided_at"),
    sqlIso("d.ingested_at"),
    sqlCsvText("d.region_code"),
    sqlCsvText("d.kind::text"),
    sqlCsvText("d.outcome::text"),
    "s.score",
    sqlCsvText("d.amount::text"),
    sqlCsvText("d.currency"),
    sqlCsvText("d.model_name"),
    sqlCsvText("d.model_version"),
    "COALESCE(v.version::text, '')",
    sqlCsvText("d.review_state::text"),
    sqlCsvText("c.reference"),
    sqlCsvText("rs.reasons"),
  ].join(" || ',' || ") + " || ','";
  const rendered = `CASE WHEN rs.exact AND s.score IS NOT NULL THEN ${head} END AS jsonl_head,
       CASE WHEN rs.exact AND s.score IS NOT NULL THEN ${csv} END AS csv_head`;
  const from = (cursorTime: string | null, cursorId: string | null) => `
  FROM decision d JOIN customer c ON c.id = d.customer_id LEFT JOIN rule_set_version v ON v.id = d.rule_set_version_id
  CROSS JOIN LATERAL (SELECT ${renderableFloat("d.score")} AS score) s
  CROSS JOIN LATERAL (SELECT COALESCE('[' || string_agg('{"code":' || ${sqlJsonText("r.code")} || ',"contribution":' || COALESCE(${renderableFloat("r.contribution")}, 'null') || '}', ',' ORDER BY r.position) || ']', '[]') AS reasons,
                             COALESCE(bool_and(${renderableFloat("r.contribution")} IS NOT NULL), true) AS exact
                        FROM decision_reason r WHERE r.decision_id = d.id) rs
 WHERE ${where}${cursorTime && cursorId ? ` AND d.decided_at >= ${cursorTime} AND (d.decided_at, d.id) > (${cursorTime}, ${cursorId})` : ""}
 ORDER BY d.decided_at, d.id`;
  return {
    parameters: base.parameters,
    /** With a keyset cursor (placeholders) and LIMIT BATCH, or (`limit` false) the whole range. */
    text: (cursorTime: string | null, cursorId: string | null, limit = true) => `SELECT d.id, d.customer_id, d.decided_at::text AS cursor_time, d.features,
       ${rendered}${from(cursorTime, cursorId)}${limit ? ` LIMIT ${BATCH}` : ""}`,
    /** The whole range for `COPY … (FORMAT binary)`: id, jsonl_head, csv_head and features, all as text. */
    copyText: () => `SELECT d.id::text, ${rendered}, d.features::text${from(null, null)}`,
  };
}

const reviewSelect = {
  id: true,
  regionCode: true,
  trigger: true,
  status: true,
  openedAt: true,
  dueAt: true,
  reviewerId: true,
  verdict: true,
  verdictReason: true,
  justification: true,
  decidedAt: true,
  approverId: true,
  approvedAt: true,
  closedAt: true,
  privacyRequestId: true,
  decision: { select: { externalId: true, customerId: true } },
  privacyRequest: { select: { reference: true } },
} satisfies Prisma.ReviewSelect;

type PackReviewRow = Omit<Prisma.ReviewGetPayload<{ select: typeof reviewSelect }>, "justification"> & { justification: string | null; isJustificationWithheld: boolean };

const privacySelect = {
  id: true,
  reference: true,
  type: true,
  regionCode: true,
  regime: true,
  channel: true,
  receivedAt: true,
  clockStartedAt: true,
  dueAt: true,
  extendedDueAt: true,
  identityState: true,
  identityVerifiedAt: true,
  state: true,
  approverId: true,
  approvedAt: true,
  completedById: true,
  completedAt: true,
  requesterName: true,
  requesterEmail: true,
  details: true,
  customer: { select: { reference: true } },
  decision: { select: { externalId: true } },
  artefacts: { select: { kind: true, fileName: true, sha256: true, sizeBytes: true, createdAt: true }, orderBy: { createdAt: "asc" as const } },
} satisfies Prisma.PrivacyRequestSelect;
