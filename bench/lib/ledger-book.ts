import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import * as openpgp from "openpgp";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { createHash, randomBytes } from "node:crypto";
import { checkpointBody, checkpointBodySha256, checkpointStatementNoteText, CHECKPOINT_FORMAT, type CheckpointStatement } from "../../app/modules/audit/checkpoint-statement";
import { eventContentBytes, eventLeafBytes, type AuditEventFields } from "../../app/modules/audit/event-document";
import { computeEventTag, parseEventTagKeys } from "../../app/modules/audit/event-tag";
import { CompactRange, hashLeaf } from "../../app/modules/audit/merkle";
import { ed25519KeyMaterial, generateSigningKey, signDetached } from "../../app/modules/audit/openpgp";
import { ed25519PrivateKeyObject, signNote } from "../../app/modules/audit/signed-note";
import { migrateDatabase } from "./processes";

// A ledger of N events for the verifier benchmark, built once and kept (database marker): events as
// the app writes them (leaf format v2 with their tags, same tree nodes, a chained v2 checkpoint with
// its signed note every CHECKPOINT_EVERY events), loaded with COPY instead of N transactions, so
// building two million takes a minute, not an hour. Every byte the verifier must hash for the leaves —
// each event's content JSON and its leaf envelope — is also written to a file for the sha256sum floor.
// The book's signing-key fingerprint and tag key are kept beside it: the verifier pins and uses them.

const CHECKPOINT_EVERY = 10_000;
const actions = ["staff.signed_in", "staff_user.updated", "customer.personal_data_read", "ledger.verified", "api_token.created"];
const regions = ["SE", "DE", "NL", "UK", "US", "AU", null];

function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function migrationsFingerprint() {
  return fs.readdirSync(path.resolve("prisma/migrations")).filter((name) => /^\d/.test(name)).sort().join(",");
}

function syntheticEvent(seq: number, base: number): AuditEventFields {
  const actor = seq % 97;
  return {
    seq,
    id: `00000000-0000-4000-8000-${seq.toString(16).padStart(12, "0")}`,
    occurredAt: new Date(base + seq * 3),
    actorType: "staff",
    actorId: `00000000-0000-4000-9000-${actor.toString(16).padStart(12, "0")}`,
    actorLabel: `staff${actor}@attest.test`,
    actorRole: "compliance_officer",
    action: actions[seq % actions.length]!,
    subjectType: "Decision",
    subjectId: `D-${seq}`,
    regionCode: regions[seq % regions.length]!,
    justification: seq % 5 === 0 ? `Reviewed against policy ${seq % 13}` : null,
    changes: { before: { reviewState: "queued" }, after: { reviewState: seq % 2 ? "upheld" : "overturned" } },
    requestId: `req-${seq}`,
    ipAddress: "10.1.2.3",
  };
}

const hashSha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest();

const copyText = (value: string | null) => (value === null ? "\\N" : value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r"));

export interface LedgerBook {
  url: string;
  events: number;
  canonicalBytesFile: string;
  /** What `ledger:verify` needs from outside the database: the pinned key and the event tag key. */
  env: { ATTEST_TRUSTED_KEYS: string; ATTEST_LEDGER_HMAC_KEY: string };
}

const ORIGIN = "bench.attest.invalid/ledger";

/** `name`: the database's (default attest_bench_ledger_N); a test gives its own, and drops it after. */
export async function ensureLedgerBook(serverUrl: string, events: number, cacheDir: string, log: (message: string) => void, name = `attest_bench_ledger_${events}`): Promise<LedgerBook> {
  const url = withDatabase(serverUrl, name);
  const canonicalBytesFile = path.join(cacheDir, `ledger-${events}.canonical`);
  const keysFile = path.join(cacheDir, `ledger-${events}.keys.json`);
  const marker = JSON.stringify({ ledgerBook: events, migrations: migrationsFingerprint(), format: 2 });
  // Database-level statements run from the server's maintenance database, which always exists.
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ comment: string | null }>("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [name]);
    if (rows[0]?.comment === marker && fs.existsSync(canonicalBytesFile) && fs.existsSync(keysFile)) {
      return { url, events, canonicalBytesFile, env: JSON.parse(fs.readFileSync(keysFile, "utf8")) as LedgerBook["env"] };
    }
    log(`${name}: building a ledger of ${events.toLocaleString("en")} events (once)`);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(url);

  const armoredKey = await generateSigningKey("Attest benchmark ledger");
  const privateKey = await openpgp.readPrivateKey({ armoredKey });
  const fingerprint = privateKey.getFingerprint().toUpperCase();
  const material = ed25519KeyMaterial(privateKey);
  const noteKey = { name: ORIGIN, privateKey: ed25519PrivateKeyObject(material.seed!, material.publicKey), publicKey: material.publicKey };
  const tagKeyText = randomBytes(32).toString("base64");
  const tagKey = parseEventTagKeys(tagKeyText, "bench")[0]!;
  const base = Date.UTC(2026, 0, 1);
  const keyId = "00000000-0000-4000-a000-000000000001";
  const checkpoints: { number: number; treeSize: number; root: Buffer; createdAt: Date; body: string; signature: string; note: string; noteSignature: string }[] = [];

  const eventsClient = new pg.Client({ connectionString: url });
  const nodesClient = new pg.Client({ connectionString: url });
  await Promise.all([eventsClient.connect(), nodesClient.connect()]);
  fs.mkdirSync(cacheDir, { recursive: true });
  const canonicalOut = fs.createWriteStream(canonicalBytesFile);
  const nodeLines: string[] = [];
  const range = new CompactRange();

  async function* eventRows() {
    const batch: string[] = [];
    for (let seq = 1; seq <= events; seq++) {
      const untagged = syntheticEvent(seq, base);
      const content = eventContentBytes(untagged);
      const event = { ...untagged, tagKeyId: tagKey.id, tag: computeEventTag(tagKey, hashSha256(content)) };
      const bytes = eventLeafBytes(event);
      if (!canonicalOut.write(content) || !canonicalOut.write(bytes)) await new Promise<void>((resolve) => canonicalOut.once("drain", () => resolve()));
      const leaf = hashLeaf(bytes);
      for (const node of range.push(leaf)) nodeLines.push(`${node.level}\t${node.index}\t${seq}\t\\\\x${node.hash.toString("hex")}\n`);
      if (seq % CHECKPOINT_EVERY === 0 || seq === events) {
        const createdAt = new Date(base + seq * 3 + 1);
        const previous = checkpoints[checkpoints.length - 1];
        const statement: CheckpointStatement = {
          format: CHECKPOINT_FORMAT,
          origin: ORIGIN,
          number: checkpoints.length + 1,
          treeSize: seq,
          rootHash: range.root().toString("hex"),
          timestamp: createdAt.toISOString(),
          keyFingerprint: fingerprint,
          previousNumber: previous?.number ?? null,
          previousBodySha256: previous ? checkpointBodySha256(previous.body) : null,
        };
        const body = checkpointBody(statement);
        const note = checkpointStatementNoteText(statement);
        checkpoints.push({ number: statement.number, treeSize: seq, root: range.root(), createdAt, body, signature: await signDetached(privateKey, body), note, noteSignature: signNote(note, noteKey) });
      }
      batch.push(
        [
          String(seq), event.id, new Date(base + seq * 3).toISOString(), event.actorType, event.actorId, event.actorLabel, event.actorRole, event.action,
          event.subjectType, event.subjectId, event.regionCode, event.justification, JSON.stringify(event.changes), event.requestId, event.ipAddress,
          event.tagKeyId, event.tag,
        ].map(copyText).join("\t") + `\t\\\\x${leaf.toString("hex")}\n`,
      );
      if (batch.length === 5_000) yield batch.splice(0).join("");
    }
    if (batch.length) yield batch.join("");
  }

  // A bulk build bypasses the append path, which the ledger's triggers refuse: as the superuser it is.
  await eventsClient.query("SET session_replication_role = replica");
  await nodesClient.query("SET session_replication_role = replica");
  await pipeline(
    Readable.from(eventRows()),
    eventsClient.query(
      copyFrom(
        "COPY audit_event (seq, id, occurred_at, actor_type, actor_id, actor_label, actor_role, action, subject_type, subject_id, region_code, justification, changes, request_id, ip_address, tag_key_id, tag, leaf_hash) FROM STDIN",
      ),
    ),
  );
  await new Promise<void>((resolve) => canonicalOut.end(() => resolve()));
  await pipeline(Readable.from(nodeLines), nodesClient.query(copyFrom("COPY audit_tree_node (level, index, tree_size, hash) FROM STDIN")));

  await eventsClient.query("BEGIN");
  // The head's trigger lets it move one event at a time; the bulk build sets it once, as a superuser.
  await eventsClient.query("SET LOCAL session_replication_role = replica");
  await eventsClient.query("UPDATE audit_ledger_head SET size = $1 WHERE id = 1", [events]);
  await eventsClient.query("INSERT INTO signing_key (id, fingerprint, algorithm, armored_public_key, created_at, activated_at) VALUES ($1, $2, 'EdDSA (Ed25519), OpenPGP v4', $3, $4, $4)", [
    keyId,
    fingerprint,
    privateKey.toPublic().armor(),
    new Date(base),
  ]);
  for (const checkpoint of checkpoints) {
    await eventsClient.query("INSERT INTO checkpoint (number, tree_size, root_hash, created_at, signing_key_id, body, signature, note, note_signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", [
      checkpoint.number,
      checkpoint.treeSize,
      checkpoint.root,
      checkpoint.createdAt,
      keyId,
      checkpoint.body,
      checkpoint.signature,
      checkpoint.note,
      checkpoint.noteSignature,
    ]);
  }
  await eventsClient.query("COMMIT");
  await eventsClient.query("ANALYZE audit_event; ANALYZE audit_tree_node");
  await Promise.all([eventsClient.end(), nodesClient.end()]);
  const admin2 = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await admin2.connect();
  await admin2.query(`COMMENT ON DATABASE "${name}" IS '${marker.replace(/'/g, "''")}'`);
  await admin2.end();
  const env = { ATTEST_TRUSTED_KEYS: fingerprint, ATTEST_LEDGER_HMAC_KEY: tagKeyText };
  fs.writeFileSync(keysFile, JSON.stringify(env), { mode: 0o600 });
  log(`${name}: built (${checkpoints.length} signed checkpoints)`);
  return { url, events, canonicalBytesFile, env };
}
