import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { EMPTY_TREE_HASH, verifyConsistency } from "./merkle";
import {
  ed25519PublicKeyBytes,
  isSignatureBy,
  NoteFormatError,
  parseCheckpointNoteText,
  parseSignedNote,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  signCosignature,
  verifierKey,
  verifyNoteSignature,
  type VerifierKey,
} from "./signed-note";

// A C2SP tlog-witness (c2sp.org/tlog-witness, "add-checkpoint") with its own store: a directory, kept on
// another host by someone other than the log's operators (internal audit). It cosigns a checkpoint only
// when it verifies with a key it trusts for the origin and is consistent with the last checkpoint it
// cosigned; it keeps every checkpoint it accepted and logs every inconsistency it sees. No database,
// node:crypto only: `npm run ledger:witness` (scripts/ledger-witness.ts) runs it as a server or poller.

export interface WitnessKey {
  name: string;
  privateKey: KeyObject;
  publicKey: Buffer;
  /** The witness's cosignature verifier key (type 0x04), for the log's ATTEST_WITNESS_KEYS. */
  vkey: VerifierKey;
}

/** Loads the witness key from `dir/witness-key.pem`, generating it on first use. */
export function loadWitnessKey(dir: string, name: string): WitnessKey {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, "witness-key.pem");
  if (!fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    fs.writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
  }
  const privateKey = createPrivateKey(fs.readFileSync(file));
  const publicKey = ed25519PublicKeyBytes(createPublicKey(privateKey));
  return { name, privateKey, publicKey, vkey: verifierKey(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey) };
}

export interface WitnessResponse {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

/** The add-checkpoint request body: old size, proof lines, blank line, signed checkpoint note. */
export function addCheckpointRequest(oldSize: number, proof: readonly Buffer[], signedNote: string) {
  return `old ${oldSize}\n${proof.map((hash) => `${hash.toString("base64")}\n`).join("")}\n${signedNote}`;
}

export function parseAddCheckpointRequest(body: string): { oldSize: number; proof: Buffer[]; note: string } {
  const blank = body.indexOf("\n\n");
  if (blank < 0) throw new NoteFormatError("the request is an old size line, proof lines, an empty line and a checkpoint");
  const lines = body.slice(0, blank).split("\n");
  const match = /^old (0|[1-9][0-9]*)$/.exec(lines[0] ?? "");
  if (!match || !Number.isSafeInteger(Number(match[1]))) throw new NoteFormatError('the first line is "old <size>" in decimal without leading zeroes');
  const proofLines = lines.slice(1);
  if (proofLines.length > 63) throw new NoteFormatError("at most 63 consistency proof lines");
  const proof = proofLines.map((line, index) => {
    const hash = Buffer.from(line, "base64");
    if (hash.length !== 32 || hash.toString("base64") !== line) throw new NoteFormatError(`proof line ${index + 1} is not a base64 SHA-256 hash`);
    return hash;
  });
  return { oldSize: Number(match[1]), proof, note: body.slice(blank + 2) };
}

export interface WitnessState {
  /** The latest cosigned checkpoint's signed note for this origin, or null. */
  latestNote: string | null;
  latestSize: number;
  latestRoot: Buffer;
}

/** The store: one directory per origin, the latest note, every accepted note, and an alert log. */
export class WitnessStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private originDir(origin: string) {
    return path.join(this.dir, encodeURIComponent(origin));
  }

  state(origin: string): WitnessState {
    const file = path.join(this.originDir(origin), "latest.note");
    if (!fs.existsSync(file)) return { latestNote: null, latestSize: 0, latestRoot: EMPTY_TREE_HASH };
    const note = fs.readFileSync(file, "utf8");
    const checkpoint = parseCheckpointNoteText(parseSignedNote(note).text);
    return { latestNote: note, latestSize: checkpoint.treeSize, latestRoot: checkpoint.rootHash };
  }

  /** Keeps the accepted checkpoint (never overwritten) and makes it the latest (atomically, by rename). */
  accept(origin: string, treeSize: number, note: string) {
    const dir = this.originDir(origin);
    fs.mkdirSync(path.join(dir, "checkpoints"), { recursive: true });
    const kept = path.join(dir, "checkpoints", `${String(treeSize).padStart(12, "0")}.note`);
    if (!fs.existsSync(kept)) fs.writeFileSync(kept, note, { flag: "wx" });
    const temporary = path.join(dir, `latest.note.${process.pid}.tmp`);
    fs.writeFileSync(temporary, note);
    fs.renameSync(temporary, path.join(dir, "latest.note"));
  }

  alert(origin: string, message: string) {
    fs.appendFileSync(path.join(this.dir, "alerts.log"), `${new Date().toISOString()} ${origin} ${message}\n`);
  }
}

/**
 * add-checkpoint, as the specification orders the checks. `trustedKeys(origin)` gives the log's note
 * verifier keys the witness trusts (null: unknown origin). Synchronous: check and update are atomic
 * within the one process that owns the store.
 */
export function addCheckpoint(store: WitnessStore, witness: WitnessKey, trustedKeys: (origin: string) => VerifierKey[] | null, body: string, now = Date.now()): WitnessResponse {
  const text = (status: WitnessResponse["status"], message: string): WitnessResponse => ({ status, contentType: "text/plain; charset=utf-8", body: `${message}\n` });
  let request: ReturnType<typeof parseAddCheckpointRequest>;
  let note: ReturnType<typeof parseSignedNote>;
  let checkpoint: ReturnType<typeof parseCheckpointNoteText>;
  try {
    request = parseAddCheckpointRequest(body);
    note = parseSignedNote(request.note);
    checkpoint = parseCheckpointNoteText(note.text);
  } catch (error) {
    return text(400, error instanceof Error ? error.message : String(error));
  }
  const keys = trustedKeys(checkpoint.origin);
  if (!keys) return text(404, `unknown log origin ${checkpoint.origin}`);
  let isSigned = false;
  for (const signature of note.signatures) {
    const key = keys.find((candidate) => isSignatureBy(signature, candidate));
    if (!key) continue;
    if (!verifyNoteSignature(note.text, signature, key)) {
      store.alert(checkpoint.origin, `a signature by trusted key ${key.keyId} does not verify (tree size ${checkpoint.treeSize})`);
      return text(403, "a signature by a trusted key does not verify");
    }
    isSigned = true;
  }
  if (!isSigned) return text(403, "no signature by a key trusted for this origin");
  if (request.oldSize > checkpoint.treeSize) return text(400, `old size ${request.oldSize} is larger than the checkpoint's ${checkpoint.treeSize}`);
  const state = store.state(checkpoint.origin);
  if (request.oldSize !== state.latestSize) return { status: 409, contentType: "text/x.tlog.size", body: `${state.latestSize}\n` };
  if (checkpoint.treeSize === 0 && !checkpoint.rootHash.equals(EMPTY_TREE_HASH)) return text(422, "a checkpoint of size zero has the empty tree's root");
  if (request.oldSize === 0 && request.proof.length > 0) return text(422, "no consistency proof from size zero");
  if (request.oldSize === checkpoint.treeSize) {
    if (!checkpoint.rootHash.equals(state.latestRoot)) {
      store.alert(checkpoint.origin, `FORK: a signed checkpoint of size ${checkpoint.treeSize} has root ${checkpoint.rootHash.toString("base64")}, the cosigned one ${state.latestRoot.toString("base64")}\n${request.note}`);
      return text(422, "same size, different root hash: the log forked");
    }
  } else if (request.oldSize > 0 && !verifyConsistency(request.oldSize, checkpoint.treeSize, state.latestRoot, checkpoint.rootHash, request.proof)) {
    store.alert(checkpoint.origin, `INCONSISTENT: checkpoint ${checkpoint.treeSize} is not consistent with the cosigned ${state.latestSize}\n${request.note}`);
    return text(422, `the consistency proof from ${request.oldSize} to ${checkpoint.treeSize} does not verify`);
  }
  store.accept(checkpoint.origin, checkpoint.treeSize, request.note);
  return { status: 200, contentType: "text/plain; charset=utf-8", body: signCosignature(note.text, { name: witness.name, privateKey: witness.privateKey, publicKey: witness.publicKey }, Math.floor(now / 1000)) };
}

export interface PolledLog {
  /** The log's latest signed checkpoint note (GET /api/v1/audit/checkpoint), or null before the first. */
  latestNote(): Promise<string | null>;
  /** RFC 6962 consistency proof between two sizes (GET /api/v1/audit/proof/consistency). */
  consistencyProof(from: number, to: number): Promise<Buffer[]>;
}

export interface PollResult {
  ok: boolean;
  message: string;
  treeSize?: number;
  /** The witness's cosignature line when it accepted a checkpoint. */
  cosignature?: string;
}

/**
 * The poller's round: fetch the log's latest checkpoint and a consistency proof from the witness's own
 * last accepted one, and run them through add-checkpoint as if the log had submitted them. A smaller
 * tree than already seen (truncation), a different root at the same size or a proof that fails
 * (rewrite), or a signature by no trusted key is an alert.
 */
export async function pollOnce(store: WitnessStore, witness: WitnessKey, log: PolledLog, trustedKeys: (origin: string) => VerifierKey[] | null, now = Date.now()): Promise<PollResult> {
  const note = await log.latestNote();
  if (!note) return { ok: true, message: "the log has no checkpoint yet" };
  let checkpoint: ReturnType<typeof parseCheckpointNoteText>;
  try {
    checkpoint = parseCheckpointNoteText(parseSignedNote(note).text);
  } catch (error) {
    return { ok: false, message: `the log served a malformed checkpoint: ${error instanceof Error ? error.message : String(error)}` };
  }
  const state = store.state(checkpoint.origin);
  if (checkpoint.treeSize < state.latestSize) {
    const message = `TRUNCATED: the log's latest checkpoint has ${checkpoint.treeSize} events, but this witness already accepted ${state.latestSize}`;
    store.alert(checkpoint.origin, `${message}\n${note}`);
    return { ok: false, message, treeSize: checkpoint.treeSize };
  }
  if (checkpoint.treeSize === state.latestSize && state.latestNote !== null && checkpoint.rootHash.equals(state.latestRoot)) {
    return { ok: true, message: `no new checkpoint (tree size ${checkpoint.treeSize})`, treeSize: checkpoint.treeSize };
  }
  let proof: Buffer[] = [];
  if (state.latestSize > 0 && checkpoint.treeSize > state.latestSize) {
    try {
      proof = await log.consistencyProof(state.latestSize, checkpoint.treeSize);
    } catch (error) {
      const message = `the log could not prove ${checkpoint.treeSize} consistent with ${state.latestSize}: ${error instanceof Error ? error.message : String(error)}`;
      store.alert(checkpoint.origin, message);
      return { ok: false, message, treeSize: checkpoint.treeSize };
    }
  }
  const response = addCheckpoint(store, witness, trustedKeys, addCheckpointRequest(state.latestSize, proof, note), now);
  if (response.status !== 200) {
    const message = `checkpoint ${checkpoint.treeSize} refused (HTTP ${response.status}): ${response.body.trim()}`;
    store.alert(checkpoint.origin, message);
    return { ok: false, message, treeSize: checkpoint.treeSize };
  }
  return { ok: true, message: `accepted and cosigned tree size ${checkpoint.treeSize}`, treeSize: checkpoint.treeSize, cosignature: response.body };
}
