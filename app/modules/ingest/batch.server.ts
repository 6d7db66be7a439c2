import { createHash, randomUUID } from "node:crypto";
import type { ApiCaller } from "~/modules/access/api-tokens.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { db, type Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import type { z } from "zod";
import {
  acceptedContentEncodings,
  contentEncodingOf,
  describeLineError,
  InvalidEncodingError,
  invalidUtf8Lines,
  parseNdjson,
  PayloadTooLargeError,
  readBodyWithin,
  type LineError,
} from "./ndjson";

// What every ingestion endpoint shares (docs/ingestion.md): the size limits, one audit event per call
// (accepted or rejected) carrying the counts and the SHA-256 of the body rather than one event per
// line, and the all-or-nothing answer.

/** The most one call may carry; larger batches are refused with 413 before anything is parsed. */
export const INGEST_MAX_BYTES = 8 * 1024 * 1024;
export const INGEST_MAX_LINES = 5_000;
/** Errors listed in one answer; the count says how many there were in all. */
const MAX_ERRORS_LISTED = 200;

export type BatchKind = "decisions" | "repayment_outcomes" | "fraud_outcomes";

export interface BatchBody {
  id: string;
  text: string;
  bytes: number;
  sha256: string;
  /** Lines whose bytes are not valid UTF-8 (refused by line number). */
  invalidUtf8Lines?: number[];
}

export interface IngestResult {
  status: number;
  body: Record<string, unknown>;
}

const acceptedAction = {
  decisions: "ingest.decisions_accepted",
  repayment_outcomes: "ingest.repayment_outcomes_accepted",
  fraud_outcomes: "ingest.fraud_outcomes_accepted",
} as const;

const acceptableTypes = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-seq", "text/plain"];

/** The NDJSON body within the limits, or a 413/415 answer (audited like any other refused call). */
export async function readBatchBody(caller: ApiCaller, kind: BatchKind, request: Request): Promise<BatchBody | IngestResult> {
  const id = randomUUID();
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (!contentType) {
    return rejectBatch(caller, kind, { id, bytes: 0, sha256: null }, 415, "Content-Type is missing; send application/x-ndjson (one JSON object per line)", []);
  }
  if (!acceptableTypes.includes(contentType)) {
    return rejectBatch(caller, kind, { id, bytes: 0, sha256: null }, 415, `Content-Type must be application/x-ndjson (one JSON object per line), not ${contentType}`, []);
  }
  const encoding = contentEncodingOf(request);
  if (!(acceptedContentEncodings as readonly string[]).includes(encoding)) {
    return rejectBatch(caller, kind, { id, bytes: 0, sha256: null }, 415, `Content-Encoding ${encoding} is not supported; send the body as is or with gzip`, []);
  }
  try {
    const buffer = await readBodyWithin(request, INGEST_MAX_BYTES);
    return {
      id,
      text: buffer.toString("utf8"),
      bytes: buffer.byteLength,
      sha256: createHash("sha256").update(buffer).digest("hex"),
      invalidUtf8Lines: invalidUtf8Lines(buffer),
    };
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return rejectBatch(caller, kind, { id, bytes: null, sha256: null }, 413, error.message, []);
    if (error instanceof InvalidEncodingError) return rejectBatch(caller, kind, { id, bytes: null, sha256: null }, 400, error.message, []);
    throw error;
  }
}

/** The batch's lines parsed with `schema`, or a 413 when it holds more lines than one call may. */
export async function parseBatch<S extends z.ZodTypeAny>(caller: ApiCaller, kind: BatchKind, batch: BatchBody, schema: S) {
  try {
    return parseNdjson(batch.text, schema, INGEST_MAX_LINES, batch.invalidUtf8Lines);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return rejectBatch(caller, kind, batch, 413, error.message, []);
    throw error;
  }
}

export function isIngestResult<T extends object>(value: T | IngestResult): value is IngestResult {
  return "status" in value;
}

/**
 * Refuses the whole batch: nothing of it is written; the call itself is recorded in the ledger with
 * the first errors (no line content: lines may carry customer references).
 */
export async function rejectBatch(
  caller: ApiCaller,
  kind: BatchKind,
  batch: { id: string; bytes: number | null; sha256: string | null; lines?: number },
  status: number,
  message: string,
  errors: LineError[],
): Promise<IngestResult> {
  const sorted = [...errors].sort((a, b) => a.line - b.line);
  const listed = sorted.slice(0, MAX_ERRORS_LISTED);
  // Nothing the client sent goes into the append-only ledger (issue 13): line numbers, field paths
  // (only as the schema names them) and fixed codes; the messages, which may quote input, stay out.
  await db.$transaction((tx) =>
    appendAuditEvent(tx, caller.audit, {
      action: "ingest.batch_rejected",
      subjectType: "IngestBatch",
      subjectId: batch.id,
      changes: {
        batch: { kind, status, lines: batch.lines ?? null, bytes: batch.bytes, sha256: batch.sha256, errorCount: errors.length, reason: reasonCodeOf(status, errors) },
        firstErrors: listed.slice(0, 10).map((error) => ({ line: error.line, field: safeFieldPath(error.field), code: error.code ?? "invalid" })),
      },
    }),
  );
  logger.info({ kind, status, errors: errors.length, tokenId: caller.tokenId }, "ingestion batch rejected");
  return {
    status,
    body: {
      error: `${message}; nothing was written`,
      batchId: batch.id,
      errorCount: errors.length,
      errors: listed.map((error) => ({ line: error.line, field: error.field, message: describeLineError(error) })),
      ...(errors.length > listed.length ? { truncated: `the first ${listed.length} of ${errors.length} errors are listed` } : {}),
    },
  };
}

/** The one audit event of an accepted batch, appended last in the transaction that wrote it. */
export async function auditAcceptedBatch(
  tx: Tx,
  caller: ApiCaller,
  kind: BatchKind,
  batch: BatchBody,
  regions: string[],
  counts: Record<string, unknown>,
) {
  const uniqueRegions = [...new Set(regions)].sort();
  await appendAuditEvent(tx, caller.audit, {
    action: acceptedAction[kind],
    subjectType: "IngestBatch",
    subjectId: batch.id,
    regionCode: uniqueRegions.length === 1 ? uniqueRegions[0] : null,
    changes: { batch: { kind, bytes: batch.bytes, sha256: batch.sha256, regions: uniqueRegions, ...counts } },
  });
}

const batchReasonCodes: Record<number, string> = {
  400: "unreadable_body",
  403: "outside_token_regions",
  409: "conflict",
  413: "too_large",
  415: "unsupported_media_type",
  422: "invalid_lines",
};

function reasonCodeOf(status: number, errors: LineError[]) {
  // The true reason for the ledger, even where the client was told only "conflict" (no region oracle).
  if (errors.some((error) => error.code === "outside_token_regions")) return "outside_token_regions";
  return batchReasonCodes[status] ?? `status_${status}`;
}

/** A field path as the schema names it; a segment the client chose (a map key) is replaced by `*`. */
export function safeFieldPath(field: string | null) {
  if (field === null) return null;
  return field
    .split(".")
    .map((segment) => (/^[A-Za-z][A-Za-z0-9]{0,39}(\[\d+\])*$/.test(segment) ? segment : "*"))
    .join(".");
}

/**
 * A stored row (decision, customer, outcome) outside the token's regions, under an id or reference
 * this batch reuses: a conflict that names no region and shows nothing of the stored row — the same
 * answer whichever region holds it (DESIGN.md §5). The ledger records the true reason.
 */
export function conflictOutsideToken(line: number, field: string, value: string): LineError {
  return { line, field, message: `"${value}" is already in use; choose another`, code: "outside_token_regions" };
}

/**
 * Status and message for a batch with errors: a line for a region the token does not hold makes it a
 * 403; a line reusing an id or reference stored in another region a 409; anything else a 422.
 */
export function rejectionOf(errors: LineError[]) {
  const outsideRegions = errors.filter((error) => error.code === "region_not_allowed");
  if (outsideRegions.length > 0) return { status: 403, message: `${outsideRegions.length} line(s) fall outside this token's regions` };
  const conflicts = errors.filter((error) => error.code === "outside_token_regions" && error.field !== "decisionExternalId");
  if (conflicts.length > 0) return { status: 409, message: `${conflicts.length} line(s) reuse an id or reference already in use` };
  return { status: 422, message: `${new Set(errors.map((error) => error.line)).size} line(s) are invalid` };
}

/** A unique-key race with a concurrent batch (same external id or customer reference): retry once. */
export function isUniqueViolation(error: unknown) {
  const candidate = error as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return candidate?.code === "P2002" || candidate?.code === "23505" || candidate?.meta?.driverAdapterError?.cause?.originalCode === "23505";
}
