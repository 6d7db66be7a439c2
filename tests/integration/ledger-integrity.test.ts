import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "~/utils/db.server";
import { appendAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey } from "~/modules/audit/checkpoints.server";
import { consistencyProofView, inclusionProofView } from "~/modules/audit/proofs.server";
import { destroySubjectKey, openSealed, SubjectKeyDestroyedError, type SealedPersonalData } from "~/modules/audit/subject-keys.server";
import { verifyLedger, type LedgerReport } from "~/modules/audit/verify.server";
import { rootDir } from "../support/paths";
import { databaseEnv, runNodeScript } from "../support/test-database";

// The signed ledger as an auditor would test it (DESIGN.md §6): proofs checked by an independent
// RFC 6962 implementation, checkpoint signatures by real GnuPG, and rows tampered with directly in
// PostgreSQL as a superuser — each must be caught by the verifier, which names the first bad one.


const databaseUrl = process.env.DATABASE_URL!;

async function appendEvents(count: number, label: string) {
  for (let i = 0; i < count; i++) {
    await db.$transaction((tx) =>
      appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "LedgerTest", subjectId: `${label}-${i}`, justification: `${label} ${i}`, changes: { i, ratio: i / 7 } }),
    );
  }
}

async function headSize() {
  return Number((await db.auditLedgerHead.findUniqueOrThrow({ where: { id: 1 } })).size);
}

/**
 * Tampers as a superuser with triggers switched off (session_replication_role = replica), runs the
 * verifier over the tampered data in the same transaction, then rolls everything back.
 */
async function verifyAfterTampering(tamper: (client: pg.Client) => Promise<void>, options: Omit<Parameters<typeof verifyLedger>[0], "client"> = {}): Promise<LedgerReport> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await tamper(client);
    return await verifyLedger({ client, ...options });
  } finally {
    await client.query("ROLLBACK");
    await client.end();
  }
}

let firstSeq = 0;

beforeAll(async () => {
  await ensureActiveSigningKey();
  await appendEvents(5, "before");
  await createCheckpoint();
  firstSeq = (await headSize()) + 1;
  await appendEvents(40, "body");
  await createCheckpoint();
  await appendEvents(3, "tail");
  await createCheckpoint();
});

describe("an intact ledger", () => {
  it("verifies end to end: every leaf, every stored node, every signed checkpoint", async () => {
    const report = await verifyLedger({ databaseUrl });
    expect(report.problem).toBeNull();
    expect(report.isValid).toBe(true);
    expect(report.checkedEvents).toBe(await headSize());
    expect(report.checkedCheckpoints).toBeGreaterThanOrEqual(3);
    expect(report.checkedTreeNodes).toBeGreaterThan(report.checkedEvents / 2);
  });

  it("serves proofs that an independent RFC 6962 implementation accepts", async () => {
    const size = await headSize();
    const leaves = (await db.auditEvent.findMany({ orderBy: { seq: "asc" }, select: { leafHash: true } })).map((row) => Buffer.from(row.leafHash!).toString("hex"));
    const proofUrl = (query: string) => new URL(`http://attest.test/api/v1/audit/proof/${query}`);
    const inclusion = [];
    for (const [seq, treeSize] of [[1, size], [firstSeq, size], [size, size], [3, 7], [firstSeq + 10, firstSeq + 21]] as const) {
      const proof = await inclusionProofView(proofUrl(`inclusion?seq=${seq}&treeSize=${treeSize}`));
      inclusion.push({ index: proof.leafIndex, treeSize: proof.treeSize, path: proof.auditPath, root: proof.rootHash });
    }
    const consistency = [];
    for (const [from, to] of [[1, size], [5, size], [7, 8], [firstSeq + 3, size - 1], [size, size]] as const) {
      const proof = await consistencyProofView(proofUrl(`consistency?from=${from}&to=${to}`));
      consistency.push({ from, to, proof: proof.proof, fromRoot: proof.fromRootHash, toRoot: proof.toRootHash });
    }
    const checked = spawnSync("python3", [path.join(rootDir, "tests/tools/rfc6962_check.py")], { input: JSON.stringify({ leaves, inclusion, consistency }), encoding: "utf8" });
    expect(checked.stdout.trim(), checked.stderr).toBe(JSON.stringify({ ok: true, leaves: size }).replace(/,/g, ", ").replace(/:/g, ": "));
    expect(checked.status).toBe(0);
  });

  it("signs checkpoints that real GnuPG verifies with the published key", async () => {
    const checkpoint = await db.checkpoint.findFirstOrThrow({ orderBy: { treeSize: "desc" }, include: { signingKey: true } });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "attest-gpg-"));
    try {
      fs.chmodSync(home, 0o700);
      fs.writeFileSync(path.join(home, "keys.asc"), checkpoint.signingKey.armoredPublicKey);
      fs.writeFileSync(path.join(home, "checkpoint.json"), checkpoint.body);
      fs.writeFileSync(path.join(home, "checkpoint.json.asc"), checkpoint.signature);
      const gpg = (...args: string[]) => spawnSync("gpg", ["--homedir", home, "--batch", "--status-fd", "1", ...args], { encoding: "utf8" });
      expect(gpg("--import", path.join(home, "keys.asc")).status).toBe(0);
      const good = gpg("--verify", path.join(home, "checkpoint.json.asc"), path.join(home, "checkpoint.json"));
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toContain(`VALIDSIG ${checkpoint.signingKey.fingerprint}`);
      fs.writeFileSync(path.join(home, "checkpoint.json"), checkpoint.body.replace(/"treeSize":\d+/, '"treeSize":1'));
      expect(gpg("--verify", path.join(home, "checkpoint.json.asc"), path.join(home, "checkpoint.json")).status).not.toBe(0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it("leaves no event, no tree node and no gap behind a rolled-back transaction", async () => {
    const before = await headSize();
    const nodesBefore = await db.auditTreeNode.count();
    await expect(
      db.$transaction(async (tx) => {
        await appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "LedgerTest", subjectId: "rolled-back" });
        throw new Error("the business change failed");
      }),
    ).rejects.toThrow("the business change failed");
    expect(await headSize()).toBe(before);
    expect(await db.auditTreeNode.count()).toBe(nodesBefore);
    await appendEvents(1, "after-rollback");
    const last = await db.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" } });
    expect(Number(last.seq)).toBe(before + 1);
    expect((await verifyLedger({ databaseUrl })).isValid).toBe(true);
  });
});

describe("tampering done by a superuser is caught", () => {
  const target = () => firstSeq + 7;

  it("a changed payload: names the event", async () => {
    const report = await verifyAfterTampering((client) => client.query("UPDATE audit_event SET justification = 'nothing to see' WHERE seq = $1", [target()]).then(() => {}));
    expect(report.problem).toMatchObject({ kind: "changed", seq: target() });
  });

  it("a changed payload with its leaf hash recomputed: the stored tree no longer matches", async () => {
    // The forger recomputes the leaf hash of a rewritten event with the published leaf format. (Read
    // before the tampering transaction opens: the embedded database runs one transaction at a time.)
    const { eventLeafHash } = await import("~/modules/audit/event-document");
    const row = await db.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(target()) } });
    const forged = { ...row, justification: "rewritten" };
    const tamper = async (client: pg.Client) => {
      await client.query("UPDATE audit_event SET justification = $2, leaf_hash = $3 WHERE seq = $1", [target(), forged.justification, eventLeafHash(forged)]);
    };
    // With the event tag key, the rewritten content no longer matches its tag: named at the event.
    expect((await verifyAfterTampering(tamper)).problem).toMatchObject({ kind: "unauthenticated", seq: target() });
    // An auditor without the tag key still finds it through the stored tree.
    const report = await verifyAfterTampering(tamper, { tagKeys: [] });
    expect(report.problem?.kind).toBe("tree_node_mismatch");
    expect(report.problem!.seq).toBeLessThanOrEqual(target());
    expect(report.problem!.message).toMatch(/events \d+–\d+/);
  });

  it("a deleted row: names the missing event", async () => {
    const report = await verifyAfterTampering((client) => client.query("DELETE FROM audit_event WHERE seq = $1", [target()]).then(() => {}));
    expect(report.problem).toMatchObject({ kind: "missing", seq: target() });
  });

  it("two swapped rows: reports the reordering at the first of them", async () => {
    const report = await verifyAfterTampering(async (client) => {
      await client.query("UPDATE audit_event SET seq = -1 WHERE seq = $1", [target()]);
      await client.query("UPDATE audit_event SET seq = $1 WHERE seq = $2", [target(), target() + 1]);
      await client.query("UPDATE audit_event SET seq = $1 WHERE seq = -1", [target() + 1]);
    });
    expect(report.problem).toMatchObject({ kind: "reordered", seq: target() });
    expect(report.problem!.message).toContain(`written as event ${target() + 1}`);
  });

  it("a forged row inserted after the last event: it is beyond the ledger head", async () => {
    const size = await headSize();
    const report = await verifyAfterTampering((client) =>
      client
        .query(
          `INSERT INTO audit_event (seq, id, occurred_at, actor_type, action, subject_type, leaf_hash)
           VALUES ($1, gen_random_uuid(), now(), 'staff', 'staff_user.created', 'StaffUser', '\\x00')`,
          [size + 1],
        )
        .then(() => {}),
    );
    expect(report.problem).toMatchObject({ kind: "inserted", seq: size + 1 });
  });

  it("a stored tree node altered: the proofs it would serve are caught", async () => {
    const report = await verifyAfterTampering((client) => client.query("UPDATE audit_tree_node SET hash = sha256(hash) WHERE level = 2 AND index = 1").then(() => {}));
    expect(report.problem?.kind).toBe("tree_node_mismatch");
    expect(report.problem!.message).toContain("events 5–8");
  });

  it("a checkpoint whose root was replaced: its signature no longer matches what is stored", async () => {
    const report = await verifyAfterTampering((client) => client.query("UPDATE checkpoint SET root_hash = sha256(root_hash) WHERE id = (SELECT min(id) FROM checkpoint)").then(() => {}));
    expect(report.problem?.kind).toBe("invalid_checkpoint");
  });

  it("a checkpoint whose signed statement was rewritten: the signature fails", async () => {
    const report = await verifyAfterTampering((client) => client.query(`UPDATE checkpoint SET body = replace(body, '"treeSize"', '"treeSize" ') WHERE id = (SELECT max(id) FROM checkpoint)`).then(() => {}));
    expect(report.problem?.kind).toBe("bad_signature");
  });

  it("the newest events deleted together with the head: a signed checkpoint still counts them", async () => {
    const size = await headSize();
    const signed = Number((await db.checkpoint.findFirstOrThrow({ orderBy: { treeSize: "desc" } })).treeSize);
    const report = await verifyAfterTampering(async (client) => {
      await client.query("DELETE FROM audit_event WHERE seq > $1", [signed - 2]);
      await client.query("DELETE FROM audit_tree_node WHERE tree_size > $1", [signed - 2]);
      await client.query("UPDATE audit_ledger_head SET size = $1", [signed - 2]);
    });
    expect(size).toBeGreaterThanOrEqual(signed);
    expect(report.problem).toMatchObject({ kind: "truncated", seq: signed - 1 });
    expect(report.problem!.message).toContain(`signs ${signed} events`);
  });

  it("the database itself refuses UPDATE and DELETE on the tree", async () => {
    await expect(db.$executeRaw`UPDATE audit_tree_node SET hash = hash WHERE level = 1 AND index = 0`).rejects.toThrow(/append-only/);
    await expect(db.$executeRaw`DELETE FROM audit_tree_node WHERE level = 1`).rejects.toThrow(/append-only/);
  });
});

describe("npm run ledger:verify", () => {
  const env = () => databaseEnv(databaseUrl, { NODE_ENV: "test", LOG_LEVEL: "warn" });

  it("exits 0 on an intact ledger, and 1 naming the first bad event after a committed tamper", async () => {
    const ok = await runNodeScript(["--import", "tsx", "scripts/ledger-verify.ts"], env());
    expect(ok).toMatch(/ledger OK: \d+ events/);

    const seq = firstSeq + 3;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const original = (await admin.query<{ action: string }>("SELECT action FROM audit_event WHERE seq = $1", [seq])).rows[0]!;
    const setAction = async (action: string) => {
      await admin.query("BEGIN");
      await admin.query("SET LOCAL session_replication_role = replica");
      await admin.query("UPDATE audit_event SET action = $2 WHERE seq = $1", [seq, action]);
      await admin.query("COMMIT");
    };
    try {
      await setAction("staff.signed_out");
      const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/ledger-verify.ts", "--no-record"], { cwd: rootDir, env: env(), encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`ledger INVALID (changed): event ${seq}`);
    } finally {
      await setAction(original.action);
      await admin.end();
    }
    expect((await verifyLedger({ databaseUrl })).isValid).toBe(true);
  }, 90_000);

  it.runIf(inject("databaseKind") === "postgresql")("exits 2 on a database that was never migrated, saying to migrate it", async () => {
    const name = `${new URL(databaseUrl).pathname.slice(1)}_unmigrated`;
    const emptyUrl = new URL(databaseUrl);
    emptyUrl.pathname = `/${name}`;
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/ledger-verify.ts", "--no-record"], { cwd: rootDir, env: databaseEnv(emptyUrl.toString(), { NODE_ENV: "test", LOG_LEVEL: "warn" }), encoding: "utf8" });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/ledger verification could not run: .*has not been migrated — run `npm run db:migrate`/);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);
});

describe("several app processes", () => {
  it("two processes writing at once leave one gapless, verifiable ledger", async () => {
    const before = await headSize();
    const writer = (label: string) => runNodeScript(["--import", "tsx", "tests/support/ledger-writer.ts", label, "60", "4"], databaseEnv(databaseUrl, { NODE_ENV: "test", LOG_LEVEL: "warn" }));
    await Promise.all([writer("instance-a"), writer("instance-b")]);
    expect(await headSize()).toBe(before + 120);
    const seqs = (await db.auditEvent.findMany({ where: { seq: { gt: BigInt(before) } }, select: { seq: true }, orderBy: { seq: "asc" } })).map((row) => Number(row.seq));
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => before + 1 + i));
    await createCheckpoint();
    const report = await verifyLedger({ databaseUrl });
    expect(report.problem).toBeNull();
  }, 120_000);

  it("a process killed in the middle of writing leaves nothing half-written", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/support/ledger-writer.ts", "doomed", "0", "4", "forever"], {
      cwd: rootDir,
      env: databaseEnv(databaseUrl, { NODE_ENV: "test", LOG_LEVEL: "warn" }),
      stdio: "ignore",
    });
    const before = await headSize();
    const deadline = Date.now() + 30_000;
    while ((await headSize()) < before + 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    // Every committed event has its business row and its tree nodes; nothing else survived.
    const size = await headSize();
    expect(size).toBeGreaterThanOrEqual(before + 30);
    const writes = await db.loginAttempt.count({ where: { email: { startsWith: "doomed-" } } });
    const events = await db.auditEvent.count({ where: { subjectType: "LedgerWriter", subjectId: { startsWith: "doomed-" } } });
    expect(events).toBe(writes);
    expect(await db.auditEvent.count()).toBe(size);
    await createCheckpoint();
    expect((await verifyLedger({ databaseUrl })).problem).toBeNull();
  }, 60_000);
});

describe("crypto-shredding", () => {
  it("seals personal data with the subject's key, and destroying the key leaves the ledger verifiable", async () => {
    // A customer of its own: destroying a shared fixture customer's key would change what other files see.
    const customer = await db.customer.create({ data: { reference: `CUS-SE-SHRED-${Date.now().toString(36).toUpperCase()}`, regionCode: "SE" } });
    const { id } = await db.$transaction((tx) =>
      appendAuditEvent(tx, systemAuditContext, {
        action: "customer.personal_data_read",
        subjectType: "Customer",
        subjectId: customer.id,
        personalData: { customerId: customer.id, fields: { fullName: "Astrid Lindgren-Test", email: "astrid@example.test" } },
      }),
    );
    const event = await db.auditEvent.findUniqueOrThrow({ where: { id } });
    expect(JSON.stringify(event.changes)).not.toContain("Astrid");
    const sealed = (event.changes as unknown as { personal: SealedPersonalData }).personal;
    expect(await db.$transaction((tx) => openSealed(tx, sealed))).toEqual({ fullName: "Astrid Lindgren-Test", email: "astrid@example.test" });

    expect(await db.$transaction((tx) => destroySubjectKey(tx, customer.id))).toBe(true);
    await expect(db.$transaction((tx) => openSealed(tx, sealed))).rejects.toBeInstanceOf(SubjectKeyDestroyedError);
    const key = await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: customer.id } });
    expect(key.ledgerKey).toBeNull();
    await createCheckpoint();
    expect((await verifyLedger({ databaseUrl })).problem).toBeNull();
    await db.customer.delete({ where: { id: customer.id } });
  });
});
