import { hash } from "node:crypto";
import { canonicalJson } from "./canonical-json";
import { checkpointNoteText } from "./signed-note";

// What a checkpoint signs (docs/ledger.md "Checkpoints"). Format v2 — every checkpoint signed now — is
// canonical JSON of the log's origin, the checkpoint's number, tree size, root, time and key, and the
// number and SHA-256 of the previous checkpoint's signed body, so the checkpoints form a chain: one
// removed, inserted or reordered breaks the link of the next. The same tree head is also a C2SP
// tlog-checkpoint note (origin, size, base64 root) signed with the same Ed25519 key.
//
// Format v1 (checkpoints signed before) has no origin, number or link; a ledger upgraded in place
// keeps its v1 prefix and its first v2 checkpoint links to the last v1 one.

export const CHECKPOINT_FORMAT = "attest-checkpoint/v2";
export const CHECKPOINT_FORMAT_V1 = "attest-checkpoint/v1";
export const DEFAULT_LEDGER_ORIGIN = "attest.invalid/ledger";

export interface CheckpointStatement {
  format: typeof CHECKPOINT_FORMAT;
  origin: string;
  number: number;
  treeSize: number;
  /** Lowercase hex. */
  rootHash: string;
  /** ISO-8601 UTC with milliseconds. */
  timestamp: string;
  keyFingerprint: string;
  previousNumber: number | null;
  /** Lowercase hex SHA-256 of the previous checkpoint's signed body (its exact bytes). */
  previousBodySha256: string | null;
}

export interface CheckpointStatementV1 {
  format: typeof CHECKPOINT_FORMAT_V1;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyFingerprint: string;
}

export type AnyCheckpointStatement = CheckpointStatement | CheckpointStatementV1;

export function checkpointBody(statement: AnyCheckpointStatement) {
  return canonicalJson(statement);
}

export function checkpointBodySha256(body: string) {
  return hash("sha256", Buffer.from(body, "utf8"), "hex");
}

/** The C2SP note text of a v2 statement: origin, size and root (base64). */
export function checkpointStatementNoteText(statement: CheckpointStatement) {
  return checkpointNoteText({ origin: statement.origin, treeSize: statement.treeSize, rootHash: Buffer.from(statement.rootHash, "hex") });
}

const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isHex32 = (value: unknown) => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);

/**
 * The statement a signed body holds, checked member by member, or the reason it is not one. The body
 * must also be exactly the canonical JSON of the statement (no other bytes can have been signed).
 */
export function parseCheckpointBody(body: string): { statement: AnyCheckpointStatement } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { error: "the signed statement is not JSON" };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "the signed statement is not a JSON object" };
  const statement = value as Record<string, unknown>;
  if (canonicalJson(statement) !== body) return { error: "the signed statement is not in canonical form" };
  const common = isCount(statement.treeSize) && isHex32(statement.rootHash) && typeof statement.timestamp === "string" && typeof statement.keyFingerprint === "string";
  if (statement.format === CHECKPOINT_FORMAT_V1) {
    return common && Object.keys(statement).length === 5 ? { statement: statement as unknown as CheckpointStatementV1 } : { error: "the v1 statement's members are not size, root, time and key" };
  }
  if (statement.format !== CHECKPOINT_FORMAT) return { error: `the statement's format ${JSON.stringify(statement.format)} is not ${CHECKPOINT_FORMAT}` };
  const isFirst = statement.previousNumber === null && statement.previousBodySha256 === null;
  const isLinked = isCount(statement.previousNumber) && isHex32(statement.previousBodySha256);
  const isValid =
    common &&
    Object.keys(statement).length === 9 &&
    typeof statement.origin === "string" &&
    statement.origin.length > 0 &&
    isCount(statement.number) &&
    (statement.number as number) >= 1 &&
    (isFirst || isLinked);
  return isValid ? { statement: statement as unknown as CheckpointStatement } : { error: "the v2 statement's members are not origin, number, size, root, time, key and the previous checkpoint's number and hash" };
}
