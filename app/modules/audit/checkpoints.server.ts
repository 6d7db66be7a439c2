import { db, type Db, type Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import {
  CHECKPOINT_FORMAT,
  checkpointBody,
  checkpointBodySha256,
  checkpointStatementNoteText,
  DEFAULT_LEDGER_ORIGIN,
  parseCheckpointBody,
  type AnyCheckpointStatement,
} from "./checkpoint-statement";
import { appendAuditEvent, systemAuditContext } from "./ledger.server";
import { signDetached } from "./openpgp";
import { signNote } from "./signed-note";
import { activeSigningKeyRow, loadedSigningKeys, registerSigningKeys } from "./signing-keys.server";
import { committedTreeSize, treeRoot } from "./tree.server";

// Signed checkpoints (DESIGN.md §6, docs/ledger.md "Checkpoints"): each one signs, as canonical JSON
// with an OpenPGP detached signature, the log's origin, its own number, the tree size, root hash, UTC
// time and signing key, and the previous checkpoint's number and body hash; the same tree head is also
// a C2SP tlog-checkpoint note signed with the same Ed25519 key. One instance signs at a time (advisory
// lock); the others skip. Checkpoints are not audit events themselves — they are statements about them.
// Other modules read checkpoints only through the functions at the end of this file.

export const CHECKPOINT_LOCK = 7_240_331; // pg advisory lock key: "one checkpoint signer at a time"

export class NoSigningKeyError extends Error {}

/** Activates the first available key when none is active (first start), recording it in the ledger. */
export async function ensureActiveSigningKey() {
  await registerSigningKeys();
  const active = await activeSigningKeyRow();
  if (active) return active;
  const keys = await loadedSigningKeys();
  const first = [...keys.values()][0];
  if (!first) throw new NoSigningKeyError("no checkpoint signing key is configured (ATTEST_SIGNING_KEY or ATTEST_SIGNING_KEY_FILE)");
  const activate = () => db.$transaction(async (tx) => {
    // One instance at a time (the signer's lock): two first starts must not both activate a key.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK})`;
    const again = await activeSigningKeyRow(tx);
    if (again) return again;
    const staged = await tx.signingKey.findUniqueOrThrow({ where: { fingerprint: first.fingerprint } });
    // Through the ledger's own function: the runtime role cannot write signing_key directly.
    await tx.$executeRaw`SELECT attest_activate_signing_key(${staged.id}::uuid, ${new Date()}::timestamptz, NULL, NULL)`;
    const key = await tx.signingKey.findUniqueOrThrow({ where: { id: staged.id } });
    await appendAuditEvent(tx, systemAuditContext, {
      action: "signing_key.activated",
      subjectType: "SigningKey",
      subjectId: key.id,
      changes: { after: { fingerprint: key.fingerprint }, reason: "first key of this ledger" },
    });
    return key;
  });
  return activate();
}

export class LedgerOriginChangedError extends Error {}

/**
 * The origin the next checkpoint names: ATTEST_LEDGER_ORIGIN, else the previous checkpoint's, else the
 * default. A log's origin never changes (witnesses track a log by it), so a configured origin that
 * differs from the one the ledger already signed is refused rather than silently forking the log.
 */
function nextOrigin(previous: AnyCheckpointStatement | null) {
  const signed = previous && "origin" in previous ? previous.origin : null;
  const configured = env.ATTEST_LEDGER_ORIGIN ?? null;
  if (configured && signed && configured !== signed) {
    throw new LedgerOriginChangedError(`ATTEST_LEDGER_ORIGIN is ${configured} but this ledger's checkpoints name ${signed}: a log's origin never changes`);
  }
  return configured ?? signed ?? DEFAULT_LEDGER_ORIGIN;
}

/** The ledger's origin as the latest checkpoint signed it (or as the next checkpoint will). */
export async function ledgerOrigin(client: Db | Tx = db) {
  const latest = await client.checkpoint.findFirst({ orderBy: { number: "desc" }, select: { body: true } });
  const parsed = latest ? parseCheckpointBody(latest.body) : null;
  return nextOrigin(parsed && "statement" in parsed ? parsed.statement : null);
}

/** Signs a checkpoint of the current committed tree when it has grown; returns it, or null. */
export async function createCheckpoint(options: { force?: boolean } = {}): Promise<SignedCheckpoint | null> {
  const keys = await loadedSigningKeys();
  const row = await db.$transaction(async (tx: Tx) => {
    // Always a synchronous commit: flushing the checkpoint flushes every event it covers (ADR 004).
    await tx.$executeRaw`SET LOCAL synchronous_commit = on`;
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) AS locked`;
    if (!lock?.locked) return null;
    const treeSize = await committedTreeSize(tx);
    const latest = await tx.checkpoint.findFirst({ orderBy: { number: "desc" }, include: checkpointInclude });
    if (latest && Number(latest.treeSize) >= treeSize && !options.force) return null;
    if (latest && Number(latest.treeSize) === treeSize) return latest;
    const keyRow = await activeSigningKeyRow(tx);
    if (!keyRow) throw new NoSigningKeyError("no signing key is active; start the app once or approve a rotation");
    const signer = keys.get(keyRow.fingerprint);
    if (!signer) throw new NoSigningKeyError(`the active signing key ${keyRow.fingerprint} is not available to this instance`);
    const previous = latest ? parseCheckpointBody(latest.body) : null;
    if (previous && "error" in previous) throw new Error(`the latest checkpoint (number ${latest!.number}) cannot be chained to: ${previous.error}`);
    const root = await treeRoot(tx, treeSize);
    const createdAt = new Date();
    const statement = {
      format: CHECKPOINT_FORMAT,
      origin: nextOrigin(previous?.statement ?? null),
      number: latest ? Number(latest.number) + 1 : 1,
      treeSize,
      rootHash: root.toString("hex"),
      timestamp: createdAt.toISOString(),
      keyFingerprint: keyRow.fingerprint,
      previousNumber: latest ? Number(latest.number) : null,
      previousBodySha256: latest ? checkpointBodySha256(latest.body) : null,
    } as const;
    const body = checkpointBody(statement);
    const signature = await signDetached(signer.privateKey, body);
    const note = checkpointStatementNoteText(statement);
    const noteSignature = signNote(note, { name: statement.origin, ...signer.noteKey });
    // Through the ledger's own function: the runtime role cannot insert into checkpoint directly.
    const [created] = await tx.$queryRaw<{ id: bigint }[]>`SELECT attest_record_checkpoint(${BigInt(statement.number)}, ${BigInt(treeSize)}, ${new Uint8Array(root)}, ${createdAt}::timestamptz, ${keyRow.id}::uuid, ${body}, ${signature}, ${note}, ${noteSignature}) AS id`;
    return tx.checkpoint.findUniqueOrThrow({ where: { id: created!.id }, include: checkpointInclude });
  });
  return row ? signedCheckpointOf(row) : null;
}

/**
 * The background signer: a checkpoint at least every CHECKPOINT_INTERVAL_MS (≤ 1 s) while events
 * arrive, measured as what a verifier or witness sees — the gap between consecutive checkpoints' signed
 * timestamps. It looks every 50 ms and starts early by how long it has recently taken from starting to
 * the signed timestamp (a decaying maximum: under load one slow start is what makes a checkpoint late),
 * plus three tenths of the interval of headroom for timer and event-loop delays. A fixed timer that skips a
 * tick while the previous signing still runs lets gaps reach 1.1–2 s (issue 12; the benches
 * `ledger.append-8-writers` and `ingest.decisions-http` report the cadence's p99). Errors are logged,
 * never fatal.
 */
export function startCheckpointWorker() {
  let isRunning = false;
  let lastSize = -1;
  let lastPublishRound = 0;
  let isPublishing = false;
  let lastSignedAt = Date.now();
  let startToStampMs = 50;
  const lookMs = Math.min(50, env.CHECKPOINT_INTERVAL_MS / 4);
  const headroomMs = env.CHECKPOINT_INTERVAL_MS * 0.3;
  const publish = async (checkpoint: SignedCheckpoint | null) => {
    if (isPublishing) return;
    isPublishing = true;
    try {
      const { publishLatestCheckpoint } = await import("./checkpoint-publisher.server");
      await publishLatestCheckpoint(checkpoint);
    } catch (error) {
      logger.warn({ err: error }, "publishing checkpoints outside the database failed");
    } finally {
      isPublishing = false;
    }
  };
  const tick = async () => {
    if (isRunning) return;
    // Not yet: the next checkpoint should be signed one interval after the last, allowing for the time
    // it takes to get to its timestamp and for timer delays.
    if (Date.now() - lastSignedAt < env.CHECKPOINT_INTERVAL_MS - startToStampMs - lookMs - headroomMs) return;
    isRunning = true;
    try {
      const startedAt = Date.now();
      const size = await committedTreeSize(db);
      if (size !== lastSize) {
        const checkpoint = await createCheckpoint();
        if (checkpoint) {
          lastSize = Number(checkpoint.treeSize);
          const signedAt = Date.parse(checkpoint.timestamp);
          lastSignedAt = signedAt;
          startToStampMs = Math.min(env.CHECKPOINT_INTERVAL_MS / 2, Math.max(signedAt - startedAt, 0.9 * startToStampMs));
          // Outside the database too (sink, witnesses): in the background, never holding up the next one.
          void publish(checkpoint);
        }
      } else {
        // Nothing new: look again at the next tick rather than waiting a whole interval.
        lastSignedAt = Date.now() - env.CHECKPOINT_INTERVAL_MS;
        if (Date.now() - lastPublishRound > 5_000) {
          // Retries of earlier failed rounds, with their backoff.
          lastPublishRound = Date.now();
          void publish(null);
        }
      }
    } catch (error) {
      logger.error({ err: error }, "checkpoint signing failed");
    } finally {
      isRunning = false;
    }
  };
  const interval = setInterval(() => void tick(), lookMs);
  interval.unref();
  return () => clearInterval(interval);
}

// ─── Reading checkpoints (the one way other modules do) ────────────────────────────────────────

export interface CheckpointCosignatureView {
  witnessName: string;
  witnessKeyId: string;
  /** When the witness signed (from its signed timestamp). */
  cosignedAt: string;
  /** The witness's note signature line, as it returned it (ends with a newline). */
  signatureLine: string;
}

/** A signed checkpoint with everything needed to check it offline. */
export interface SignedCheckpoint {
  id: string;
  number: number;
  format: AnyCheckpointStatement["format"];
  /** null on format v1 checkpoints. */
  origin: string | null;
  treeSize: number;
  /** Lowercase hex. */
  rootHash: string;
  /** ISO-8601 UTC, as signed. */
  timestamp: string;
  keyFingerprint: string;
  previousNumber: number | null;
  previousBodySha256: string | null;
  /** The exact signed statement (canonical JSON, UTF-8, no trailing newline): `gpg --verify signature body`. */
  body: string;
  /** Armored OpenPGP detached signature over `body`. */
  signature: string;
  /** C2SP tlog-checkpoint note text (origin, size, base64 root, each line ending in a newline); null on v1. */
  note: string | null;
  /** The log's Ed25519 note signature line over `note` (ends with a newline); null on v1. */
  noteSignature: string | null;
  cosignatures: CheckpointCosignatureView[];
}

const checkpointInclude = {
  signingKey: { select: { fingerprint: true } },
  cosignatures: { orderBy: { witnessName: "asc" as const } },
};

type CheckpointRow = Awaited<ReturnType<typeof db.checkpoint.findFirstOrThrow<{ include: typeof checkpointInclude }>>>;

function signedCheckpointOf(row: CheckpointRow): SignedCheckpoint {
  const parsed = parseCheckpointBody(row.body);
  const statement = "statement" in parsed ? parsed.statement : null;
  return {
    id: row.id.toString(),
    number: Number(row.number),
    format: statement?.format ?? CHECKPOINT_FORMAT,
    origin: statement && "origin" in statement ? statement.origin : null,
    treeSize: Number(row.treeSize),
    rootHash: Buffer.from(row.rootHash).toString("hex"),
    timestamp: row.createdAt.toISOString(),
    keyFingerprint: row.signingKey.fingerprint,
    previousNumber: statement && "previousNumber" in statement ? statement.previousNumber : null,
    previousBodySha256: statement && "previousBodySha256" in statement ? statement.previousBodySha256 : null,
    body: row.body,
    signature: row.signature,
    note: row.note,
    noteSignature: row.noteSignature,
    cosignatures: row.cosignatures.map((cosignature) => ({
      witnessName: cosignature.witnessName,
      witnessKeyId: cosignature.witnessKeyId,
      cosignedAt: cosignature.cosignedAt.toISOString(),
      signatureLine: cosignature.signatureLine,
    })),
  };
}

/** The newest signed checkpoint, or null before the first one. */
export async function latestCheckpoint(): Promise<SignedCheckpoint | null> {
  const row = await db.checkpoint.findFirst({ orderBy: { number: "desc" }, include: checkpointInclude });
  return row ? signedCheckpointOf(row) : null;
}

export async function checkpointByNumber(number: number): Promise<SignedCheckpoint | null> {
  const row = await db.checkpoint.findUnique({ where: { number: BigInt(number) }, include: checkpointInclude });
  return row ? signedCheckpointOf(row) : null;
}

/** The checkpoint that signed exactly `treeSize` events, if one did. */
export async function checkpointAtSize(treeSize: number): Promise<SignedCheckpoint | null> {
  const row = await db.checkpoint.findUnique({ where: { treeSize: BigInt(treeSize) }, include: checkpointInclude });
  return row ? signedCheckpointOf(row) : null;
}

/** The first checkpoint whose tree contains event `seq` (tree size ≥ seq), if one is signed yet. */
export async function firstCheckpointCovering(seq: number): Promise<SignedCheckpoint | null> {
  const row = await db.checkpoint.findFirst({ where: { treeSize: { gte: BigInt(seq) } }, orderBy: { treeSize: "asc" }, include: checkpointInclude });
  return row ? signedCheckpointOf(row) : null;
}

/**
 * The checkpoint as a C2SP signed note: its text, a blank line, the log's signature line and (unless
 * `withCosignatures` is false) every stored witness cosignature. Null for a v1 checkpoint.
 */
export function signedNoteOf(checkpoint: Pick<SignedCheckpoint, "note" | "noteSignature" | "cosignatures">, options: { withCosignatures?: boolean } = {}) {
  if (!checkpoint.note || !checkpoint.noteSignature) return null;
  const cosignatures = options.withCosignatures === false ? [] : checkpoint.cosignatures.map((cosignature) => cosignature.signatureLine);
  return `${checkpoint.note}\n${checkpoint.noteSignature}${cosignatures.join("")}`;
}
