import { createPrivateKey, createPublicKey, hash, sign, verify, type KeyObject } from "node:crypto";

// C2SP signed notes (c2sp.org/signed-note), transparency-log checkpoints (c2sp.org/tlog-checkpoint)
// and Ed25519 cosignatures (c2sp.org/tlog-cosignature), so that witnesses written for other logs can
// watch this one. Node's standard library only: evidence packs and outside verifiers use it as it is.

export const SIGNATURE_TYPE_ED25519 = 0x01;
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

const EM_DASH = "\u2014";
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export class NoteFormatError extends Error {}

export interface NoteSignature {
  keyName: string;
  /** The 4-byte key ID as 8 lowercase hex digits. */
  keyId: string;
  /** The signature bytes after the key ID. */
  signature: Buffer;
  /** The whole line, with its trailing newline. */
  line: string;
}

export interface VerifierKey {
  name: string;
  keyId: string;
  type: number;
  publicKey: Buffer;
  /** The vkey text: name+hex(key ID)+base64(type ‖ public key). */
  text: string;
}

export function isValidKeyName(name: string) {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4], as 8 hex digits. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array) {
  return hash("sha256", Buffer.concat([Buffer.from(`${name}\n`, "utf8"), Buffer.from([type]), publicKey]), "hex").slice(0, 8);
}

export function verifierKey(name: string, type: number, publicKey: Uint8Array): VerifierKey {
  if (!isValidKeyName(name)) throw new NoteFormatError(`"${name}" is not a valid note key name (non-empty, no spaces, no '+')`);
  const keyId = noteKeyId(name, type, publicKey);
  const text = `${name}+${keyId}+${Buffer.concat([Buffer.from([type]), publicKey]).toString("base64")}`;
  return { name, keyId, type, publicKey: Buffer.from(publicKey), text };
}

export function parseVerifierKey(text: string): VerifierKey {
  // The name holds no '+' and the id is hex, but the base64 key may hold '+': split at the first two only.
  const match = /^([^+]+)\+([^+]+)\+(.+)$/.exec(text.trim());
  if (!match) throw new NoteFormatError(`a verifier key is name+keyid+key: "${text.trim()}" is not`);
  const [, name, keyId, material] = match as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw new NoteFormatError(`the verifier key's name "${name}" is not valid`);
  if (!/^[0-9a-f]{8}$/.test(keyId)) throw new NoteFormatError(`the verifier key's id "${keyId}" is not 8 lowercase hex digits`);
  const raw = Buffer.from(material, "base64");
  if (raw.length !== 33 || (raw[0] !== SIGNATURE_TYPE_ED25519 && raw[0] !== SIGNATURE_TYPE_COSIGNATURE_V1)) {
    throw new NoteFormatError("the verifier key is not an Ed25519 key (type 0x01 or 0x04 followed by 32 bytes)");
  }
  const key = verifierKey(name, raw[0]!, raw.subarray(1));
  if (key.keyId !== keyId) throw new NoteFormatError(`the verifier key's id ${keyId} does not match its name and key (${key.keyId})`);
  return key;
}

export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
}

// A verifier key's KeyObject, made once: a verifier checks hundreds of notes with one key, and making
// the object costs more than checking a signature with it.
const publicKeyObjects = new WeakMap<VerifierKey, KeyObject>();

function publicKeyObjectOf(key: VerifierKey) {
  let object = publicKeyObjects.get(key);
  if (!object) publicKeyObjects.set(key, (object = ed25519PublicKeyObject(key.publicKey)));
  return object;
}

export function ed25519PrivateKeyObject(seed: Uint8Array, publicKey: Uint8Array): KeyObject {
  return createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: Buffer.from(seed).toString("base64url"), x: Buffer.from(publicKey).toString("base64url") },
    format: "jwk",
  });
}

/** The 32 raw bytes of an Ed25519 public key object. */
export function ed25519PublicKeyBytes(key: KeyObject) {
  const der = key.export({ format: "der", type: "spki" });
  return Buffer.from(der.subarray(der.length - 32));
}

export function signatureLine(keyName: string, keyId: string, signature: Uint8Array) {
  return `${EM_DASH} ${keyName} ${Buffer.concat([Buffer.from(keyId, "hex"), signature]).toString("base64")}\n`;
}

/** Signs the note text with an Ed25519 note key (type 0x01); returns the signature line. */
export function signNote(text: string, key: { name: string; privateKey: KeyObject; publicKey: Uint8Array }) {
  assertNoteText(text);
  const signature = sign(null, Buffer.from(text, "utf8"), key.privateKey);
  return signatureLine(key.name, noteKeyId(key.name, SIGNATURE_TYPE_ED25519, key.publicKey), signature);
}

function assertNoteText(text: string) {
  if (!text.endsWith("\n")) throw new NoteFormatError("a note's text ends with a newline");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) throw new NoteFormatError("a note holds no control characters but newline");
}

/** Splits a signed note into its text (with its final newline) and its signature lines. */
export function parseSignedNote(note: string): { text: string; signatures: NoteSignature[] } {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new NoteFormatError("a signed note holds no control characters but newline");
  const separator = note.lastIndexOf("\n\n");
  if (separator < 0 || !note.endsWith("\n")) throw new NoteFormatError("a signed note is its text, a blank line and signature lines, each ending in a newline");
  const text = note.slice(0, separator + 1);
  const lines = note.slice(separator + 2, -1).split("\n");
  const signatures = lines.map((line, index) => {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!match) throw new NoteFormatError(`signature line ${index + 1} is not "— <key name> <base64>"`);
    const bytes = Buffer.from(match[2]!, "base64");
    if (bytes.length < 5) throw new NoteFormatError(`signature line ${index + 1} is too short`);
    return { keyName: match[1]!, keyId: bytes.subarray(0, 4).toString("hex"), signature: bytes.subarray(4), line: `${line}\n` };
  });
  if (signatures.length === 0) throw new NoteFormatError("a signed note has at least one signature line");
  return { text, signatures };
}

/** Does one of the note's signatures by `key` (name and ID both match) verify over its text? */
export function verifyNote(note: string, key: VerifierKey): boolean {
  const { text, signatures } = parseSignedNote(note);
  return signatures.some((signature) => isSignatureBy(signature, key) && verifyNoteSignature(text, signature, key));
}

export function isSignatureBy(signature: Pick<NoteSignature, "keyName" | "keyId">, key: Pick<VerifierKey, "name" | "keyId">) {
  return signature.keyName === key.name && signature.keyId === key.keyId;
}

export function verifyNoteSignature(text: string, signature: Pick<NoteSignature, "signature">, key: VerifierKey): boolean {
  if (key.type !== SIGNATURE_TYPE_ED25519 || signature.signature.length !== 64) return false;
  return verify(null, Buffer.from(text, "utf8"), publicKeyObjectOf(key), signature.signature);
}

// ─── tlog-checkpoint ───────────────────────────────────────────────────────────────────────────

export interface CheckpointNote {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
}

/** origin, decimal tree size, base64 root hash: three lines, no extension lines. */
export function checkpointNoteText(checkpoint: CheckpointNote) {
  if (!isValidKeyName(checkpoint.origin)) throw new NoteFormatError(`"${checkpoint.origin}" is not a valid checkpoint origin`);
  return `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash.toString("base64")}\n`;
}

export function parseCheckpointNoteText(text: string): CheckpointNote & { extensions: string[] } {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new NoteFormatError("a checkpoint is at least three lines: origin, tree size and root hash");
  const [origin, size, root, ...rest] = lines.slice(0, -1) as [string, string, string, ...string[]];
  if (!origin) throw new NoteFormatError("the checkpoint's origin line is empty");
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) throw new NoteFormatError(`the checkpoint's tree size "${size}" is not a decimal number`);
  const rootHash = Buffer.from(root, "base64");
  if (rootHash.length !== 32 || rootHash.toString("base64") !== root) throw new NoteFormatError("the checkpoint's root hash is not 32 bytes of base64");
  if (rest.some((line) => line === "")) throw new NoteFormatError("a checkpoint's extension lines are not empty");
  return { origin, treeSize: Number(size), rootHash, extensions: rest };
}

// ─── tlog-cosignature (Ed25519, type 0x04) ─────────────────────────────────────────────────────

/** The message a v1 cosignature signs: header, time line, then the checkpoint's note text. */
export function cosignatureMessage(noteText: string, timestamp: number) {
  return `cosignature/v1\ntime ${timestamp}\n${noteText}`;
}

export function signCosignature(noteText: string, key: { name: string; privateKey: KeyObject; publicKey: Uint8Array }, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = sign(null, Buffer.from(cosignatureMessage(noteText, timestamp), "utf8"), key.privateKey);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(timestamp));
  return signatureLine(key.name, noteKeyId(key.name, SIGNATURE_TYPE_COSIGNATURE_V1, key.publicKey), Buffer.concat([time, signature]));
}

/** The cosignature's timestamp (POSIX seconds) if it verifies with `key`, else null. */
export function verifyCosignature(noteText: string, signature: Pick<NoteSignature, "signature" | "keyName" | "keyId">, key: VerifierKey): number | null {
  if (key.type !== SIGNATURE_TYPE_COSIGNATURE_V1 || !isSignatureBy(signature, key) || signature.signature.length !== 8 + 64) return null;
  const timestamp = signature.signature.readBigUInt64BE(0);
  if (timestamp === 0n || timestamp > 2n ** 63n - 1n) return null;
  const message = Buffer.from(cosignatureMessage(noteText, Number(timestamp)), "utf8");
  return verify(null, message, publicKeyObjectOf(key), signature.signature.subarray(8)) ? Number(timestamp) : null;
}
