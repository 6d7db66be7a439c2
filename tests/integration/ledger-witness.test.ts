import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "~/utils/db.server";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey, latestCheckpoint, ledgerOrigin } from "~/modules/audit/checkpoints.server";
import { publishToSinkDir, submitToWitness, witnessStatus } from "~/modules/audit/checkpoint-publisher.server";
import { consistencyProof, memoryNodeSource } from "~/modules/audit/merkle";
import { SIGNATURE_TYPE_ED25519, verifierKey } from "~/modules/audit/signed-note";
import { addCheckpoint, loadWitnessKey, pollOnce, WitnessStore } from "~/modules/audit/witness";
import { verifyLedger } from "~/modules/audit/verify.server";
import { eventTagKeys } from "~/modules/audit/event-tag-keys.server";
import { forgerKey, insertCheckpointRow, signedCheckpointRow } from "../support/ledger-forgery";

// Witnesses outside the database (issue 12): the app submits each checkpoint to a C2SP tlog-witness and
// stores its verified cosignature; a witness that kept earlier checkpoints catches a copy of the
// database that was truncated or rewritten, and so does ledger:verify given the sink's checkpoint.

const databaseUrl = process.env.DATABASE_URL!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-witness-int-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let store: WitnessStore;
let witness: ReturnType<typeof loadWitnessKey>;
let trusted: (origin: string) => ReturnType<typeof verifierKey>[] | null;

async function appendEvents(count: number, label: string) {
  for (let i = 0; i < count; i++) {
    await db.$transaction((tx) => appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "WitnessTest", subjectId: `${label}-${i}` }));
  }
}

/** The log as the witness polls it, read from a (possibly tampered) copy through `client`. */
function logOver(client: pg.ClientBase) {
  const leaves = async () => (await client.query<{ leaf_hash: Buffer }>("SELECT leaf_hash FROM audit_event ORDER BY audit_event.seq")).rows.map((row) => row.leaf_hash);
  return {
    latestNote: async () => {
      const { rows } = await client.query<{ note: string; note_signature: string }>("SELECT note, note_signature FROM checkpoint ORDER BY number DESC LIMIT 1");
      return rows[0] ? `${rows[0].note}\n${rows[0].note_signature}` : null;
    },
    consistencyProof: async (from: number, to: number) => consistencyProof(memoryNodeSource(await leaves()), from, to),
  };
}

beforeAll(async () => {
  const key = await ensureActiveSigningKey();
  await appendEvents(4, "a");
  await createCheckpoint();
  store = new WitnessStore(path.join(dir, "witness"));
  witness = loadWitnessKey(store.dir, "audit.attest.example/witness");
  const { ed25519KeyMaterial, readArmoredPublicKey } = await import("~/modules/audit/openpgp");
  const logVkey = verifierKey(await ledgerOrigin(), SIGNATURE_TYPE_ED25519, ed25519KeyMaterial(await readArmoredPublicKey(key.armoredPublicKey)).publicKey);
  trusted = (origin) => (origin === logVkey.name ? [logVkey] : null);
});

describe("the app and a tlog-witness", () => {
  it("submits each new checkpoint with a consistency proof from the witness's last one and stores the verified cosignature", async () => {
    const configured = { url: "http://witness.invalid", key: witness.vkey };
    const transport = (async (_url: string, init?: RequestInit) => {
      const answer = addCheckpoint(store, witness, trusted, String(init!.body));
      return new Response(answer.body, { status: answer.status, headers: { "Content-Type": answer.contentType } });
    }) as typeof fetch;
    expect(await submitToWitness(configured, (await latestCheckpoint())!, transport)).toMatchObject({ status: 200, stored: true });
    await appendEvents(3, "b");
    await createCheckpoint();
    // The witness has seen the earlier checkpoint: this one goes with a proof from its size.
    expect(await submitToWitness(configured, (await latestCheckpoint())!, transport)).toMatchObject({ status: 200, stored: true });
    const latest = (await latestCheckpoint())!;
    expect(latest.cosignatures).toEqual([expect.objectContaining({ witnessName: "audit.attest.example/witness", witnessKeyId: witness.vkey.keyId })]);
    expect(witnessStatus(latest).cosignatures).toBe(1);
    // The stored cosignature is exactly what a verifier checks: it makes the checkpoint's signed note.
    const { signedNoteOf } = await import("~/modules/audit/checkpoints.server");
    expect(signedNoteOf(latest)).toContain(latest.cosignatures[0]!.signatureLine);
  });

  it("a witness that stored earlier checkpoints catches a truncated copy and a rewritten copy", async () => {
    const polled = await pollOnce(store, witness, logOver(await connected()), trusted);
    expect(polled.ok).toBe(true);
    const seen = store.state((await ledgerOrigin())).latestSize;

    const truncated = await onTamperedCopy(async (client) => {
      const { rows } = await client.query<{ tree_size: string }>("SELECT tree_size::text FROM checkpoint WHERE tree_size < $1 ORDER BY checkpoint.number DESC LIMIT 1", [seen]);
      const cut = Number(rows[0]!.tree_size);
      await client.query("DELETE FROM checkpoint WHERE tree_size > $1", [cut]);
      await client.query("DELETE FROM audit_event WHERE seq > $1", [cut]);
      await client.query("DELETE FROM audit_tree_node WHERE tree_size > $1", [cut]);
      await client.query("UPDATE audit_ledger_head SET size = $1", [cut]);
      return pollOnce(store, witness, logOver(client), trusted);
    });
    expect(truncated.ok).toBe(false);
    expect(truncated.message).toContain("TRUNCATED");

    const rewritten = await onTamperedCopy(async (client) => {
      await client.query("UPDATE audit_event SET leaf_hash = sha256(leaf_hash) WHERE seq = $1", [seen - 1]);
      // The attacker holds the signing key too: a new checkpoint over the rewritten tree, signed.
      const key = await forgerKey(process.env.ATTEST_SIGNING_KEY!);
      // The newest checkpoint replaced by one over the rewritten tree, chained to the one before it.
      await client.query("DELETE FROM checkpoint WHERE number = (SELECT max(number) FROM checkpoint)");
      const { rows } = await client.query<{ number: string; body: string; signing_key_id: string }>("SELECT number::text, body, signing_key_id::text FROM checkpoint ORDER BY checkpoint.number DESC LIMIT 1");
      const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head")).rows[0]!.size);
      await insertCheckpointRow(client, await signedCheckpointRow(client, key, rows[0]!.signing_key_id, head, { number: Number(rows[0]!.number), body: rows[0]!.body }, new Date()));
      return pollOnce(store, witness, logOver(client), trusted);
    });
    expect(rewritten.ok).toBe(false);
    expect(fs.readFileSync(path.join(store.dir, "alerts.log"), "utf8")).toMatch(/TRUNCATED[\s\S]*(INCONSISTENT|FORK)/);
  });

  it("ledger:verify given the sink's checkpoint catches a truncated copy", async () => {
    const sink = path.join(dir, "sink");
    await appendEvents(2, "c");
    const checkpoint = (await createCheckpoint())!;
    expect(publishToSinkDir(sink, checkpoint)).toBe(true);
    expect(publishToSinkDir(sink, checkpoint)).toBe(false);
    const file = path.join(sink, fs.readdirSync(sink)[0]!);
    const report = await onTamperedCopy(async (client) => {
      await client.query("DELETE FROM checkpoint WHERE number = $1", [checkpoint.number]);
      await client.query("DELETE FROM audit_event WHERE seq > $1", [checkpoint.treeSize - 2]);
      await client.query("DELETE FROM audit_tree_node WHERE tree_size > $1", [checkpoint.treeSize - 2]);
      await client.query("UPDATE audit_ledger_head SET size = $1", [checkpoint.treeSize - 2]);
      const { fingerprint } = await db.signingKey.findFirstOrThrow({ where: { activatedAt: { not: null }, retiredAt: null } });
      return verifyLedger({ client, pinnedFingerprints: [fingerprint], tagKeys: eventTagKeys(), maxPendingMs: null, trustedCheckpoints: [{ source: file, text: fs.readFileSync(file, "utf8") }] });
    });
    expect(report.problem).toMatchObject({ kind: "truncated", seq: checkpoint.treeSize - 1 });
  });
});

const clients: pg.Client[] = [];
afterAll(async () => {
  for (const client of clients) await client.end();
});
async function connected() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  clients.push(client);
  return client;
}

async function onTamperedCopy<T>(tamper: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    await client.query("SET LOCAL session_replication_role = replica");
    return await tamper(client);
  } finally {
    await client.query("ROLLBACK");
    await client.end();
  }
}
