import { parseCheckpointBody } from "./checkpoint-statement";
import { ed25519KeyMaterial, readArmoredPublicKey, verifyDetached } from "./openpgp";
import { parseCheckpointNoteText, parseSignedNote, SIGNATURE_TYPE_ED25519, verifierKey, verifyNoteSignature, isSignatureBy } from "./signed-note";
import type { TrustedKey } from "./key-trust";

// A checkpoint kept outside the database (docs/ledger.md "Trusted checkpoints"): saved by an auditor,
// a witness or the external checkpoint sink, given to `ledger:verify --trusted-checkpoint FILE`, the
// UI or an evidence-pack verifier. Accepted forms: the JSON of /api/v1/audit/checkpoints/latest (or
// any object with the signed `body` and its OpenPGP `signature`), or the C2SP signed note of
// /api/v1/audit/checkpoint. Either must verify with a trusted key; the verifier then proves the
// current tree extends it (same root at its size), so a truncated or rewritten ledger fails.

export interface TrustedCheckpoint {
  source: string;
  treeSize: number;
  rootHash: Buffer;
  origin: string | null;
  /** The trusted key that signed it. */
  keyFingerprint: string;
  timestamp: string | null;
}

export type TrustedCheckpointInput = { source: string; text: string };

/** Verifies a saved checkpoint with the trusted keys; returns it, or why it cannot be used. */
export async function verifyTrustedCheckpoint(input: TrustedCheckpointInput, trusted: Map<string, TrustedKey>): Promise<TrustedCheckpoint | { error: string }> {
  const text = input.text.trim();
  if (text.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { error: `${input.source}: not valid JSON` };
    }
    const object = value as Record<string, unknown>;
    const holder = (object && typeof object.checkpoint === "object" && object.checkpoint ? object.checkpoint : object) as Record<string, unknown>;
    if (typeof holder.body !== "string" || typeof holder.signature !== "string") {
      return { error: `${input.source}: a saved checkpoint in JSON has "body" (the signed statement) and "signature" (armored OpenPGP)` };
    }
    const parsed = parseCheckpointBody(holder.body);
    if ("error" in parsed) return { error: `${input.source}: ${parsed.error}` };
    const key = trusted.get(parsed.statement.keyFingerprint);
    if (!key) return { error: `${input.source}: signed by key ${parsed.statement.keyFingerprint}, which is not trusted` };
    if (!(await verifyDetached(key.armoredPublicKey, holder.body, holder.signature))) {
      return { error: `${input.source}: its signature does not verify with key ${key.fingerprint}` };
    }
    return {
      source: input.source,
      treeSize: parsed.statement.treeSize,
      rootHash: Buffer.from(parsed.statement.rootHash, "hex"),
      origin: "origin" in parsed.statement ? parsed.statement.origin : null,
      keyFingerprint: key.fingerprint,
      timestamp: parsed.statement.timestamp,
    };
  }
  let note: ReturnType<typeof parseSignedNote>;
  let checkpoint: ReturnType<typeof parseCheckpointNoteText>;
  try {
    note = parseSignedNote(`${text}\n`);
    checkpoint = parseCheckpointNoteText(note.text);
  } catch (error) {
    return { error: `${input.source}: neither checkpoint JSON nor a C2SP signed note (${error instanceof Error ? error.message : String(error)})` };
  }
  for (const key of trusted.values()) {
    const vkey = verifierKey(checkpoint.origin, SIGNATURE_TYPE_ED25519, ed25519KeyMaterial(await readArmoredPublicKey(key.armoredPublicKey)).publicKey);
    if (note.signatures.some((signature) => isSignatureBy(signature, vkey) && verifyNoteSignature(note.text, signature, vkey))) {
      return { source: input.source, treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash, origin: checkpoint.origin, keyFingerprint: key.fingerprint, timestamp: null };
    }
  }
  return { error: `${input.source}: no signature on the note verifies with a trusted key under origin ${checkpoint.origin}` };
}
