#!/usr/bin/env node
// Attest evidence pack verifier (ADR 012, docs/evidence-packs.md). Needs only Node.js (18 or later) and
// its standard library; uses `gpg` for the OpenPGP signatures when it is installed.
//
//   node verify.mjs [--trusted-checkpoint FILE] [--fingerprint FPR] [--require-gpg] [PACK_DIR]
//
// Run it in the directory the pack was unzipped into (or name that directory). It checks, in order:
//   1. every file against SHA256SUMS and manifest.json (hash, size, no file missing or added);
//   2. manifest.json.asc and the checkpoint signatures with gpg (the keys in keys/), and the
//      checkpoint's C2SP note signature with Ed25519 (node:crypto), whether or not gpg is present;
//   3. the checkpoint's root hash recomputed from audit/leaf-hashes.bin, and the RFC 6962 consistency
//      proof from the pack's checkpoint to the latest checkpoint in the pack;
//   4. every event in audit/events.jsonl: its content hash, leaf hash and RFC 6962 inclusion proof
//      against the pack's checkpoint;
//   5. the row counts of every data file, and the audit sample redrawn from its population and seed;
//   6. with --trusted-checkpoint (a checkpoint you kept earlier, in any form `ledger:verify
//      --trusted-checkpoint` takes: the C2SP signed note, or the checkpoint JSON with its signed body),
//      its signature with the pack's keys (Ed25519 note signature; OpenPGP with gpg), then that the
//      pack's ledger extends it: the root of the first tree-size leaves of audit/leaf-hashes.bin must be
//      its root. Another root is a fork; a kept size beyond the pack's leaves, a truncation.
// It prints each check and exits 1 naming the first file, event or proof that fails (2: bad usage).

import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const ok = (message) => console.log(`ok    ${message}`);
const note = (message) => console.log(`note  ${message}`);

// ─── arguments ───
const options = { trusted: null, fingerprint: null, requireGpg: false, dir: "." };
let dir = ".";
const file = (name) => (path.isAbsolute(name) ? name : path.join(dir, ...name.split("/")));

function parseArguments(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--trusted-checkpoint") options.trusted = args[++i];
    else if (arg === "--fingerprint") options.fingerprint = (args[++i] ?? "").replace(/\s+/g, "").toUpperCase();
    else if (arg === "--require-gpg") options.requireGpg = true;
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: node verify.mjs [--trusted-checkpoint FILE] [--fingerprint FPR] [--require-gpg] [PACK_DIR]");
      process.exit(0);
    } else if (arg.startsWith("--")) {
      console.error(`unknown option ${arg}`);
      process.exit(2);
    } else options.dir = arg;
  }
  if (options.trusted === undefined || options.fingerprint === "") {
    console.error("--trusted-checkpoint and --fingerprint each need a value");
    process.exit(2);
  }
  dir = path.resolve(options.dir);
}

// ─── hashing (RFC 6962, RFC 8785) ───
const sha256 = (data) => createHash("sha256").update(data).digest();
const hashLeaf = (bytes) => sha256(Buffer.concat([Buffer.from([0]), bytes]));
const hashChildren = (left, right) => sha256(Buffer.concat([Buffer.from([1]), left, right]));
const EMPTY = sha256(Buffer.alloc(0));

function canonical(value) {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) fail(`a number that has no JSON form: ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  return `{${Object.keys(value)
    .sort()
    .filter((key) => value[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
    .join(",")}}`;
}

/** MTH of leaves[start, end) (RFC 6962 §2.1), iteratively with a stack of perfect subtrees. */
function rootOf(leaves, count) {
  if (count === 0) return EMPTY;
  const stack = [];
  for (let i = 0; i < count; i++) {
    let node = { level: 0, hash: leaves.subarray(i * 32, i * 32 + 32) };
    while (stack.length > 0 && stack[stack.length - 1].level === node.level) {
      const left = stack.pop();
      node = { level: node.level + 1, hash: hashChildren(left.hash, node.hash) };
    }
    stack.push(node);
  }
  let hash = stack[stack.length - 1].hash;
  for (let i = stack.length - 2; i >= 0; i--) hash = hashChildren(stack[i].hash, hash);
  return hash;
}

/** RFC 9162 §2.1.3.2 */
function verifyInclusion(leafHash, index, size, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else r = hashChildren(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2 */
function verifyConsistency(size1, size2, root1, root2, proof) {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (size1 === 0) return proof.length === 0;
  const isPow2 = (size1 & (size1 - 1)) === 0;
  const path = isPow2 ? [root1, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else sr = hashChildren(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(root1) && sr.equals(root2) && sn === 0;
}

const hexOf = (text, what) => {
  if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) fail(`${what} is not a lowercase hex SHA-256`);
  return Buffer.from(text, "hex");
};

async function fileSha256(name) {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of fs.createReadStream(file(name))) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

async function* lines(name) {
  const reader = readline.createInterface({ input: fs.createReadStream(file(name)), crlfDelay: Infinity });
  let number = 0;
  for await (const line of reader) {
    number++;
    if (line !== "") yield { line, number };
  }
}

function readJson(name) {
  if (!fs.existsSync(file(name))) fail(`${name} is missing`);
  try {
    return JSON.parse(fs.readFileSync(file(name), "utf8"));
  } catch (error) {
    fail(`${name} is not valid JSON (${error.message})`);
  }
}

function listFiles(root, prefix = "") {
  const out = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(path.join(root, entry.name), name));
    else out.push(name);
  }
  return out;
}

// ─── signatures ───
function hasGpg() {
  const result = spawnSync("gpg", ["--version"], { stdio: "ignore" });
  return result.status === 0;
}

let gpgHome = null;
function gpgVerify(signatureName, dataName, expectedFingerprints, what) {
  if (!gpgHome) {
    gpgHome = fs.mkdtempSync(path.join(os.tmpdir(), "attest-verify-"));
    const imported = spawnSync("gpg", ["--homedir", gpgHome, "--batch", "--quiet", "--import", file("keys/signing-keys.asc")], { encoding: "utf8" });
    if (imported.status !== 0) fail(`keys/signing-keys.asc could not be imported by gpg: ${imported.stderr.trim()}`);
  }
  const result = spawnSync("gpg", ["--homedir", gpgHome, "--batch", "--status-fd", "1", "--verify", file(signatureName), file(dataName)], { encoding: "utf8" });
  const valid = /^\[GNUPG:\] VALIDSIG ([0-9A-F]{40})/m.exec(result.stdout ?? "");
  if (result.status !== 0 || !valid) fail(`${what}: gpg --verify ${signatureName} ${dataName} failed (${(result.stderr ?? "").trim().split("\n").pop()})`);
  if (!expectedFingerprints.includes(valid[1])) fail(`${what}: signed by ${valid[1]}, which is not the expected key (${expectedFingerprints.join(", ")})`);
  return valid[1];
}

/** Verifies a C2SP signed note's Ed25519 signature line by the vkey "name+keyid+base64(0x01 ‖ key)". */
function verifyNote(signedNote, vkey, what) {
  const first = vkey.indexOf("+");
  const second = vkey.indexOf("+", first + 1);
  const [name, keyIdHex, keyB64] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  const keyBytes = Buffer.from(keyB64, "base64");
  if (keyBytes.length !== 33 || keyBytes[0] !== 1) fail(`${what}: the note verifier key is not an Ed25519 key`);
  const separator = signedNote.indexOf("\n\n");
  if (separator < 0) fail(`${what}: the signed note has no signature block`);
  const text = signedNote.slice(0, separator + 1);
  const signatureLines = signedNote.slice(separator + 2).split("\n").filter(Boolean);
  const keyId = Buffer.from(keyIdHex, "hex");
  for (const line of signatureLines) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const raw = Buffer.from(match[2], "base64");
    if (raw.length !== 68 || !raw.subarray(0, 4).equals(keyId)) continue;
    const publicKey = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), keyBytes.subarray(1)]), format: "der", type: "spki" });
    if (verifySignature(null, Buffer.from(text, "utf8"), publicKey, raw.subarray(4))) return text;
    fail(`${what}: the note signature by ${name} does not verify`);
  }
  fail(`${what}: the note carries no signature by ${name}`);
}

function parseNoteText(text, what) {
  const noteLines = text.split("\n");
  const size = Number(noteLines[1]);
  const root = Buffer.from(noteLines[2] ?? "", "base64");
  if (!Number.isSafeInteger(size) || root.length !== 32) fail(`${what}: not a checkpoint note (origin, size, base64 root)`);
  return { origin: noteLines[0], treeSize: size, rootHash: root.toString("hex") };
}

// ─── a checkpoint kept earlier (--trusted-checkpoint) ───
/** The Ed25519 public key bytes of a keys/keys.json entry, from its note verifier key. */
function notePublicKey(entry) {
  const vkey = entry.noteVerifierKey;
  if (typeof vkey !== "string") return null;
  // name+keyid+base64: names hold no "+", base64 may.
  const first = vkey.indexOf("+");
  const bytes = Buffer.from(vkey.slice(vkey.indexOf("+", first + 1) + 1), "base64");
  return bytes.length === 33 && bytes[0] === 1 ? bytes.subarray(1) : null;
}

/** The C2SP verifier key "name+keyid+base64(0x01 ‖ key)" of an Ed25519 key under a log origin. */
function noteVerifierKeyFor(name, publicKey) {
  const material = Buffer.concat([Buffer.from([1]), publicKey]);
  const keyId = sha256(Buffer.concat([Buffer.from(`${name}\n`, "utf8"), material])).subarray(0, 4);
  return `${name}+${keyId.toString("hex")}+${material.toString("base64")}`;
}

/** The checkpoint in a signed note, verified with a key of keys/keys.json under the note's origin. */
function trustedNote(signedNote, keys, what) {
  const separator = signedNote.indexOf("\n\n");
  if (separator < 0) fail(`${what}: a C2SP signed note has its text, a blank line, then signature lines`);
  const parsed = parseNoteText(signedNote.slice(0, separator + 1), what);
  const candidates = keys.map((entry) => ({ entry, publicKey: notePublicKey(entry) })).filter((candidate) => candidate.publicKey);
  for (const { entry, publicKey } of candidates) {
    try {
      verifyNote(signedNote, noteVerifierKeyFor(parsed.origin, publicKey), what);
      return { ...parsed, signedBy: `${entry.fingerprint} (Ed25519 note signature)` };
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
    }
  }
  fail(`${what}: no signature on the note verifies with a key of keys/keys.json under origin ${parsed.origin} (not a checkpoint of this ledger, or a forged one)`);
}

/** A checkpoint's signed JSON body with its OpenPGP signature: checked with gpg when it is installed. */
function trustedBody(body, signature, keys, gpg, what) {
  let statement;
  try {
    statement = JSON.parse(body);
  } catch {
    fail(`${what}: its "body" is not the JSON of a signed checkpoint statement`);
  }
  const key = keys.find((entry) => entry.fingerprint === statement.keyFingerprint);
  if (!key) fail(`${what}: signed by key ${statement.keyFingerprint}, which keys/keys.json does not hold`);
  let signedBy = null;
  if (gpg) {
    const temporary = fs.mkdtempSync(path.join(os.tmpdir(), "attest-trusted-"));
    try {
      fs.writeFileSync(path.join(temporary, "body"), body);
      fs.writeFileSync(path.join(temporary, "body.asc"), signature);
      signedBy = `${gpgVerify(path.join(temporary, "body.asc"), path.join(temporary, "body"), [key.fingerprint], what)} (OpenPGP, gpg)`;
    } finally {
      fs.rmSync(temporary, { recursive: true, force: true });
    }
  } else note(`${what}: gpg is not installed, so its OpenPGP signature was not checked (keep its C2SP note to have it checked without gpg)`);
  return { origin: typeof statement.origin === "string" ? statement.origin : null, treeSize: statement.treeSize, rootHash: statement.rootHash, signedBy };
}

/** Reads a kept checkpoint in any form ledger:verify --trusted-checkpoint takes, checking its signature. */
function readTrustedCheckpoint(name, keys, gpg) {
  const what = `--trusted-checkpoint ${name}`;
  if (!fs.existsSync(name)) fail(`${what}: no such file`);
  const text = fs.readFileSync(name, "utf8").replace(/^\uFEFF/, "");
  if (!text.trimStart().startsWith("{")) return trustedNote(text.trim() + "\n", keys, what);
  let json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`${what}: not valid JSON (${error.message})`);
  }
  const holder = json && typeof json.checkpoint === "object" && json.checkpoint ? json.checkpoint : json;
  if (typeof holder.signedNote === "string") return trustedNote(holder.signedNote, keys, what);
  if (typeof holder.note === "string" && typeof holder.noteSignature === "string") return trustedNote(`${holder.note}\n${holder.noteSignature}`, keys, what);
  if (typeof holder.body === "string" && typeof holder.signature === "string") return trustedBody(holder.body, holder.signature, keys, gpg, what);
  if (typeof holder.body === "string") {
    note(`${what}: a signed body without its signature: its tree size and root are taken as you kept them`);
    try {
      const statement = JSON.parse(holder.body);
      return { origin: statement.origin ?? null, treeSize: statement.treeSize, rootHash: statement.rootHash, signedBy: null };
    } catch {
      fail(`${what}: its "body" is not JSON`);
    }
  }
  note(`${what}: it carries no signature: its tree size and root are taken as you kept them`);
  return { origin: holder.origin ?? null, treeSize: holder.treeSize, rootHash: holder.rootHash, signedBy: null };
}

/**
 * Proves the pack's ledger extends a checkpoint kept earlier: audit/leaf-hashes.bin (whose roots at the
 * pack's checkpoints were recomputed above) must give the kept root at the kept size. A different root is
 * a fork (the history was rewritten); a kept size beyond the pack's leaves is a truncation, or a pack
 * older than the kept checkpoint: either way the pack cannot show it.
 */
function checkTrustedCheckpoint(name, { manifest, keys, leaves, leafCount, checkpoint, gpg }) {
  const what = `--trusted-checkpoint ${name}`;
  const trusted = readTrustedCheckpoint(path.resolve(name), keys, gpg);
  if (!Number.isSafeInteger(trusted.treeSize) || trusted.treeSize < 0 || typeof trusted.rootHash !== "string" || !/^[0-9a-f]{64}$/.test(trusted.rootHash)) {
    fail("--trusted-checkpoint: no tree size and root hash found in the file");
  }
  const origin = manifest.ledger?.origin ?? checkpoint.origin ?? null;
  if (trusted.origin && origin && trusted.origin !== origin) fail(`${what}: a checkpoint of log ${trusted.origin}, not of this pack's ledger (${origin})`);
  if (trusted.treeSize > leafCount) {
    fail(`--trusted-checkpoint: it covers ${trusted.treeSize} events, more than this pack's ledger (${leafCount}): the pack cannot prove it extends it (the ledger was truncated, or the pack was built before that checkpoint)`);
  }
  const prefixRoot = rootOf(leaves, trusted.treeSize).toString("hex");
  if (prefixRoot !== trusted.rootHash) {
    fail(`--trusted-checkpoint: the pack's ledger is not consistent with the trusted checkpoint (root of its first ${trusted.treeSize} events is ${prefixRoot}, the trusted checkpoint says ${trusted.rootHash}): a fork, the history since that checkpoint was rewritten`);
  }
  const relation = trusted.treeSize <= checkpoint.treeSize ? `the pack's checkpoint (${checkpoint.treeSize} events) extends it` : `the pack's latest checkpoint (${leafCount} events) extends it`;
  ok(`consistent with the trusted checkpoint (${trusted.treeSize} events, root ${trusted.rootHash.slice(0, 16)}…${trusted.signedBy ? `, signed by ${trusted.signedBy}` : ", unsigned"}): ${relation}`);
}

// ─── the sample (attest-sample/v1) ───
/** A uniform integer source from SHA-256(seed ‖ ":" ‖ counter), rejection-sampled (no modulo bias). */
export function seededIntegers(seed) {
  let counter = 0;
  return (bound) => {
    const limit = (2n ** 64n / BigInt(bound)) * BigInt(bound);
    for (;;) {
      const value = sha256(Buffer.from(`${seed}:${counter++}`, "utf8")).readBigUInt64BE(0);
      if (value < limit) return Number(value % BigInt(bound));
    }
  };
}

/** Positions (0-based) of the sample: the first `size` of a Fisher–Yates shuffle of 0..n-1, in draw order. */
export function samplePositions(seed, populationSize, size) {
  const below = seededIntegers(seed);
  const swapped = new Map();
  const at = (i) => (swapped.has(i) ? swapped.get(i) : i);
  const picked = [];
  for (let i = 0; i < Math.min(size, populationSize); i++) {
    const j = i + below(populationSize - i);
    const chosen = at(j);
    swapped.set(j, at(i));
    picked.push(chosen);
  }
  return picked;
}

// ─── main ───
async function main() {
  parseArguments(process.argv.slice(2));
  const manifest = readJson("manifest.json");
  console.log(`Attest evidence pack ${manifest.packId ?? "?"}, built ${manifest.createdAt ?? "?"} by ${manifest.requester?.name ?? "?"} (${manifest.requester?.role ?? "?"})`);

  // 1. files
  if (!fs.existsSync(file("SHA256SUMS"))) fail("SHA256SUMS is missing");
  const sums = new Map();
  for (const line of fs.readFileSync(file("SHA256SUMS"), "utf8").split("\n").filter(Boolean)) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) fail(`SHA256SUMS: malformed line "${line}"`);
    sums.set(match[2], match[1]);
  }
  const listed = new Map((manifest.files ?? []).map((entry) => [entry.path, entry]));
  if (listed.size === 0) fail("manifest.json lists no files");
  for (const name of listFiles(dir)) {
    if (name === "SHA256SUMS") continue;
    if (!sums.has(name)) fail(`${name}: not listed in SHA256SUMS (a file was added to the pack)`);
    if (name !== "manifest.json" && name !== "manifest.json.asc" && !listed.has(name)) fail(`${name}: not listed in manifest.json (a file was added to the pack)`);
  }
  for (const [name, expected] of sums) {
    if (!fs.existsSync(file(name))) fail(`${name}: missing (listed in SHA256SUMS)`);
    const actual = await fileSha256(name);
    if (actual.sha256 !== expected) fail(`${name}: SHA-256 ${actual.sha256} does not match SHA256SUMS (${expected})`);
    const entry = listed.get(name);
    if (entry && (entry.sha256 !== actual.sha256 || entry.size !== actual.size)) fail(`${name}: SHA-256 or size does not match manifest.json`);
  }
  for (const name of listed.keys()) if (!sums.has(name)) fail(`${name}: listed in manifest.json but not in SHA256SUMS`);
  if (!sums.has("manifest.json")) fail("manifest.json: not listed in SHA256SUMS");
  ok(`${sums.size} files match SHA256SUMS and manifest.json`);

  // 2. keys and signatures
  const keys = readJson("keys/keys.json");
  const signing = manifest.signature ?? {};
  const fingerprints = keys.map((key) => key.fingerprint);
  if (options.fingerprint && !fingerprints.includes(options.fingerprint)) fail(`keys/keys.json does not hold the pinned key ${options.fingerprint}`);
  if (options.fingerprint && signing.keyFingerprint !== options.fingerprint) fail(`manifest.json is signed by ${signing.keyFingerprint}, not the pinned key ${options.fingerprint}`);
  if (!fingerprints.includes(signing.keyFingerprint)) fail(`manifest.json names signing key ${signing.keyFingerprint}, which keys/keys.json does not hold`);
  const checkpoint = readJson("audit/checkpoint.json");
  const latest = readJson("audit/latest-checkpoint.json");
  const gpg = hasGpg();
  if (gpg) {
    gpgVerify("manifest.json.asc", "manifest.json", [signing.keyFingerprint], "manifest.json");
    gpgVerify("audit/checkpoint.body.asc", "audit/checkpoint.body", fingerprints, "audit/checkpoint.body");
    ok(`manifest.json.asc and audit/checkpoint.body.asc verify with gpg (key ${signing.keyFingerprint})`);
  } else if (options.requireGpg) fail("gpg is not installed (--require-gpg)");
  else note("gpg is not installed: the OpenPGP signatures were not checked (the Ed25519 note signatures are checked below)");

  // 3. checkpoints
  const body = fs.readFileSync(file("audit/checkpoint.body"), "utf8");
  if (body !== checkpoint.body) fail("audit/checkpoint.body differs from the body in audit/checkpoint.json");
  let statement;
  try {
    statement = JSON.parse(body);
  } catch {
    fail("audit/checkpoint.body is not JSON");
  }
  if (statement.treeSize !== checkpoint.treeSize || statement.rootHash !== checkpoint.rootHash) fail("audit/checkpoint.json: tree size or root differs from its signed body");
  if (manifest.checkpoint?.treeSize !== checkpoint.treeSize || manifest.checkpoint?.rootHash !== checkpoint.rootHash) fail("manifest.json names another checkpoint than audit/checkpoint.json");
  const signerKey = keys.find((key) => key.fingerprint === statement.keyFingerprint);
  if (!signerKey) fail(`audit/checkpoint.json is signed by ${statement.keyFingerprint}, which keys/keys.json does not hold`);
  for (const [name, cp] of [["audit/checkpoint.json", checkpoint], ["audit/latest-checkpoint.json", latest]]) {
    if (!cp.signedNote) continue;
    const key = keys.find((entry) => entry.fingerprint === cp.keyFingerprint);
    if (!key?.noteVerifierKey) fail(`${name}: no note verifier key for ${cp.keyFingerprint}`);
    const text = verifyNote(cp.signedNote, key.noteVerifierKey, name);
    const parsed = parseNoteText(text, name);
    if (parsed.treeSize !== cp.treeSize || parsed.rootHash !== cp.rootHash) fail(`${name}: its signed note names another tree than its JSON`);
  }
  if (checkpoint.signedNote || latest.signedNote) ok("checkpoint note signatures verify (Ed25519)");

  const leaves = fs.readFileSync(file("audit/leaf-hashes.bin"));
  if (leaves.length % 32 !== 0) fail("audit/leaf-hashes.bin: its length is not a multiple of 32");
  const leafCount = leaves.length / 32;
  if (leafCount !== latest.treeSize) fail(`audit/leaf-hashes.bin holds ${leafCount} leaves, the latest checkpoint ${latest.treeSize}`);
  const checkpointRoot = rootOf(leaves, checkpoint.treeSize);
  if (checkpointRoot.toString("hex") !== checkpoint.rootHash) fail(`audit/checkpoint.json: root ${checkpoint.rootHash} does not match the root recomputed from audit/leaf-hashes.bin (${checkpointRoot.toString("hex")})`);
  const latestRoot = rootOf(leaves, latest.treeSize);
  if (latestRoot.toString("hex") !== latest.rootHash) fail(`audit/latest-checkpoint.json: root does not match the root recomputed from audit/leaf-hashes.bin`);
  ok(`checkpoint ${checkpoint.number} (${checkpoint.treeSize} events) and latest checkpoint ${latest.number} (${latest.treeSize} events): roots recomputed`);
  const consistency = readJson("audit/consistency.json");
  if (consistency.fromTreeSize !== checkpoint.treeSize || consistency.toTreeSize !== latest.treeSize) fail("audit/consistency.json: its sizes are not those of the two checkpoints");
  const proof = (consistency.proof ?? []).map((hex, i) => hexOf(hex, `audit/consistency.json proof[${i}]`));
  if (!verifyConsistency(checkpoint.treeSize, latest.treeSize, hexOf(checkpoint.rootHash, "checkpoint root"), hexOf(latest.rootHash, "latest root"), proof)) fail("audit/consistency.json: the consistency proof from the pack's checkpoint to the latest does not verify");
  ok(`consistency proof ${checkpoint.treeSize} → ${latest.treeSize} verifies (RFC 6962)`);

  // 4. events
  const root = hexOf(checkpoint.rootHash, "checkpoint root");
  let events = 0;
  let previousSeq = 0;
  for await (const { line, number } of lines("audit/events.jsonl")) {
    const where = `audit/events.jsonl line ${number}`;
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      fail(`${where}: not JSON`);
    }
    const seq = event.seq;
    if (!Number.isSafeInteger(seq) || seq <= previousSeq) fail(`${where}: seq ${seq} is not after ${previousSeq}`);
    previousSeq = seq;
    if (seq > checkpoint.treeSize) fail(`${where} (event ${seq}): beyond the pack's checkpoint`);
    if (event.leaf?.seq !== seq) fail(`event ${seq} (${where}): its leaf names seq ${event.leaf?.seq}`);
    if (event.content !== null && event.content !== undefined) {
      const contentHash = sha256(Buffer.from(canonical(event.content), "utf8")).toString("hex");
      if (contentHash !== event.leaf.content) fail(`event ${seq} (${where}): its content does not hash to the content hash in its leaf`);
    }
    const leafHash = hashLeaf(Buffer.from(canonical(event.leaf), "utf8"));
    if (leafHash.toString("hex") !== event.leafHash) fail(`event ${seq} (${where}): its leaf does not hash to its leafHash`);
    if (!leaves.subarray((seq - 1) * 32, seq * 32).equals(leafHash)) fail(`event ${seq} (${where}): its leaf hash is not leaf ${seq - 1} of audit/leaf-hashes.bin`);
    const path = (event.inclusionProof ?? []).map((hex, i) => hexOf(hex, `event ${seq} inclusionProof[${i}]`));
    if (!verifyInclusion(leafHash, seq - 1, checkpoint.treeSize, path, root)) fail(`event ${seq} (${where}): its inclusion proof does not lead to the checkpoint's root`);
    events++;
  }
  ok(`${events} events: content, leaf hashes and inclusion proofs against checkpoint ${checkpoint.number} verify`);

  // 5. rows and sample
  for (const entry of manifest.files) {
    if (typeof entry.rows !== "number") continue;
    let count = 0;
    if (entry.path.endsWith(".jsonl")) for await (const _ of lines(entry.path)) count++;
    else if (entry.path.endsWith(".csv")) {
      for await (const _ of lines(entry.path)) count++;
      count -= 1; // header
    } else continue;
    if (entry.path.endsWith(".jsonl") && count !== entry.rows) fail(`${entry.path}: ${count} rows, manifest.json says ${entry.rows} (a row was removed or added)`);
    if (entry.path === "audit/events.jsonl" && count !== events) fail("audit/events.jsonl: row count differs");
  }
  ok("row counts match manifest.json");
  if (manifest.sample) {
    const { seed, size, populationFile, sampleFile, populationSize, method } = manifest.sample;
    if (method !== "attest-sample/v1") fail(`manifest.json: unknown sample method ${method}`);
    const population = [];
    for await (const { line } of lines(populationFile)) population.push(line);
    population.shift();
    if (population.length !== populationSize) fail(`${populationFile}: ${population.length} rows, manifest.json says ${populationSize}`);
    const expected = samplePositions(seed, population.length, size).map((position) => population[position]);
    const actual = [];
    for await (const { line } of lines(sampleFile)) actual.push(line);
    actual.shift();
    if (actual.length !== expected.length || actual.some((row, i) => row !== expected[i])) fail(`${sampleFile}: does not match the sample redrawn from ${populationFile} with seed ${seed}`);
    ok(`sample of ${expected.length} redrawn from ${populationFile} (${population.length} rows, seed ${seed})`);
  }

  // 6. trusted checkpoint
  if (options.trusted) checkTrustedCheckpoint(options.trusted, { manifest, keys, leaves, leafCount, checkpoint, gpg });
  console.log("PASS: the evidence pack verifies");
}

// Run as a program (node verify.mjs …), not when imported for its functions.
const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) main()
  .catch((error) => {
    if (error instanceof Failure) console.error(`FAIL: ${error.message}`);
    else console.error(`FAIL: ${error.stack ?? error}`);
    process.exitCode = 1;
  })
  .finally(() => {
    if (gpgHome) fs.rmSync(gpgHome, { recursive: true, force: true });
  });
