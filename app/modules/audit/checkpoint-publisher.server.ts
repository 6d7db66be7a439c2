import fs from "node:fs";
import path from "node:path";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { latestCheckpoint, signedNoteOf, type SignedCheckpoint } from "./checkpoints.server";
import { parseSignedNote, parseVerifierKey, verifyCosignature, type VerifierKey } from "./signed-note";
import { treeConsistencyProof } from "./tree.server";
import { addCheckpointRequest } from "./witness";
import { checkpointSinkDir } from "./verify-trust.server";

// Publishing signed checkpoints outside the database (docs/ledger.md "Witnesses and the checkpoint
// sink"): every checkpoint is written to the sink directory (write-once files) and/or POSTed to the
// sink URL, and submitted to each configured witness (C2SP tlog-witness add-checkpoint) whose
// cosignatures are verified and stored. All of it runs beside the checkpoint signer, never on the
// append path: a failure is logged and retried on the next round, appends never wait for it.

export interface ConfiguredWitness {
  url: string;
  key: VerifierKey;
}

/** ATTEST_WITNESSES: "<vkey> <url>" entries, comma-separated. */
export function configuredWitnesses(): ConfiguredWitness[] {
  if (!env.ATTEST_WITNESSES) return [];
  return env.ATTEST_WITNESSES.split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const [vkey, url] = entry.split(/\s+/);
      if (!vkey || !url) throw new Error(`ATTEST_WITNESSES entry ${index + 1}: "<witness vkey> <add-checkpoint URL prefix>"`);
      return { key: parseVerifierKey(vkey), url: url.replace(/\/+$/, "") };
    });
}

const sinkFileName = (number: number) => `checkpoint-${String(number).padStart(12, "0")}.json`;

/** The JSON a sink receives: the signed statement, its signatures and the signed note. */
function sinkDocument(checkpoint: SignedCheckpoint) {
  return `${JSON.stringify({
    number: checkpoint.number,
    origin: checkpoint.origin,
    treeSize: checkpoint.treeSize,
    rootHash: checkpoint.rootHash,
    timestamp: checkpoint.timestamp,
    keyFingerprint: checkpoint.keyFingerprint,
    body: checkpoint.body,
    signature: checkpoint.signature,
    signedNote: signedNoteOf(checkpoint, { withCosignatures: false }),
  }, null, 2)}\n`;
}

/** Writes the checkpoint once; an existing file is never overwritten (write-once storage may refuse it). */
export function publishToSinkDir(dir: string, checkpoint: SignedCheckpoint) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, sinkFileName(checkpoint.number));
  if (fs.existsSync(file)) return false;
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, sinkDocument(checkpoint));
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return true;
}

/** Submits the checkpoint to one witness; stores its verified cosignature. Returns the witness's answer. */
export async function submitToWitness(witness: ConfiguredWitness, checkpoint: SignedCheckpoint, fetchImpl: typeof fetch = fetch) {
  const note = signedNoteOf(checkpoint, { withCosignatures: false });
  if (!note || !checkpoint.note) return { status: 0, stored: false };
  // The witness's last cosigned size as far as this ledger knows; a 409 tells the real one.
  const known = await db.checkpointCosignature.findFirst({
    where: { witnessName: witness.key.name, witnessKeyId: witness.key.keyId },
    orderBy: { checkpointId: "desc" },
    include: { checkpoint: { select: { treeSize: true } } },
  });
  let oldSize = known ? Math.min(Number(known.checkpoint.treeSize), checkpoint.treeSize) : 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const proof = oldSize > 0 && oldSize < checkpoint.treeSize ? await treeConsistencyProof(db, oldSize, checkpoint.treeSize) : [];
    const response = await fetchImpl(`${witness.url}/add-checkpoint`, { method: "POST", body: addCheckpointRequest(oldSize, proof, note), signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    if (response.status === 409 && response.headers.get("content-type")?.startsWith("text/x.tlog.size")) {
      const size = Number(body.trim());
      if (!Number.isSafeInteger(size) || size > checkpoint.treeSize) return { status: 409, stored: false };
      oldSize = size;
      continue;
    }
    if (response.status !== 200) return { status: response.status, stored: false, message: body.trim() };
    // Only cosignatures by this witness's key that verify over this checkpoint are kept.
    const { signatures } = parseSignedNote(`${checkpoint.note}\n${body}`);
    for (const signature of signatures) {
      const timestamp = verifyCosignature(checkpoint.note, signature, witness.key);
      if (timestamp === null) continue;
      await db.$executeRaw`SELECT attest_record_cosignature(${BigInt(checkpoint.id)}, ${witness.key.name}, ${witness.key.keyId}, ${new Date(timestamp * 1000)}::timestamptz, ${signature.line})`;
      return { status: 200, stored: true };
    }
    return { status: 200, stored: false, message: "the witness returned no cosignature that verifies with its configured key" };
  }
  return { status: 409, stored: false };
}

const failures = new Map<string, { count: number; retryAt: number }>();

async function withBackoff(target: string, action: () => Promise<void>) {
  const failure = failures.get(target);
  if (failure && Date.now() < failure.retryAt) return;
  try {
    await action();
    failures.delete(target);
  } catch (error) {
    const count = (failure?.count ?? 0) + 1;
    failures.set(target, { count, retryAt: Date.now() + Math.min(60_000, 500 * 2 ** count) });
    logger.warn({ err: error, target, attempt: count }, "publishing a checkpoint failed; it will be retried");
  }
}

let lastPosted = 0;

/**
 * One publishing round: the newest checkpoint to the sink directory, the sink URL and every witness
 * that has not cosigned it yet. Called after each signing and on the signer's ticks (so a failed
 * round is retried with backoff); never awaited by an append.
 */
export async function publishLatestCheckpoint(checkpoint?: SignedCheckpoint | null) {
  const latest = checkpoint ?? (await latestCheckpoint());
  if (!latest) return;
  const dir = checkpointSinkDir();
  if (dir) await withBackoff(`dir:${dir}`, async () => void publishToSinkDir(dir, latest));
  const url = env.ATTEST_CHECKPOINT_SINK_URL;
  if (url && lastPosted < latest.number) {
    await withBackoff(`url:${url}`, async () => {
      const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: sinkDocument(latest), signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`the checkpoint sink answered ${response.status}`);
      lastPosted = latest.number;
    });
  }
  for (const witness of configuredWitnesses()) {
    if (latest.cosignatures.some((cosignature) => cosignature.witnessName === witness.key.name && cosignature.witnessKeyId === witness.key.keyId)) continue;
    await withBackoff(`witness:${witness.url}`, async () => {
      const result = await submitToWitness(witness, latest);
      if (!result.stored) throw new Error(`witness ${witness.key.name} did not cosign checkpoint ${latest.number} (HTTP ${result.status}${"message" in result && result.message ? `: ${result.message}` : ""})`);
    });
  }
}

/** Is the checkpoint witnessed: at least ATTEST_WITNESS_QUORUM distinct configured witnesses cosigned it? */
export function witnessStatus(checkpoint: Pick<SignedCheckpoint, "cosignatures">) {
  const quorum = env.ATTEST_WITNESS_QUORUM;
  const names = new Set(checkpoint.cosignatures.map((cosignature) => `${cosignature.witnessName}+${cosignature.witnessKeyId}`));
  return { quorum, cosignatures: names.size, isWitnessed: quorum > 0 && names.size >= quorum };
}
