import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseEventTagKeys } from "~/modules/audit/event-tag";
import { CHUNK_LEVEL, CHUNK_SIZE } from "~/modules/audit/verify-chunk.server";
import { verifyLedger, type LedgerReport } from "~/modules/audit/verify.server";
import { ensureLedgerBook, type LedgerBook } from "../../bench/lib/ledger-book";

// The verifier over a ledger of several chunks, in worker threads, as `npm run ledger:verify` runs it
// on a database server: each worker checks its chunks' own nodes; the main thread joins the chunk
// roots and checks the nodes above them (levels > CHUNK_LEVEL), which a small test ledger never has.
// The ledger is built in bulk like the benchmark's (bench/lib/ledger-book.ts), in a database of its
// own dropped afterwards; each damage is committed (the workers read their own connections) and undone.

const isPostgres = inject("databaseKind") === "postgresql";
// Eight whole chunks and a part: seven nodes above the chunks (levels CHUNK_LEVEL + 1 to + 3, at tree
// sizes from 32,768 to 131,072, which sort differently as text), and checkpoints (every 10,000 events)
// inside chunks.
const EVENTS = 8 * CHUNK_SIZE + 4_464;

let book: LedgerBook;
let cacheDir = "";
const databaseName = `${new URL(process.env.DATABASE_URL!).pathname.slice(1)}_chunks`;

const verify = () =>
  verifyLedger({
    databaseUrl: book.url,
    parallelism: 2,
    pinnedFingerprints: [book.env.ATTEST_TRUSTED_KEYS],
    tagKeys: parseEventTagKeys(book.env.ATTEST_LEDGER_HMAC_KEY, "the book's tag key"),
    maxPendingMs: null,
    trustedCheckpoints: [],
  });

/** Runs `damage` as the superuser with the ledger's triggers off, verifies, then runs `undo`. */
type Statement = [text: string, params?: unknown[]];

async function verifyDamaged(damage: Statement, undo: Statement): Promise<LedgerReport> {
  const client = new pg.Client({ connectionString: book.url });
  await client.connect();
  try {
    await client.query("SET session_replication_role = replica");
    await client.query(...damage);
    try {
      return await verify();
    } finally {
      await client.query(...undo);
    }
  } finally {
    await client.end();
  }
}

describe.runIf(isPostgres)("a ledger of several chunks, verified in worker threads", () => {
  beforeAll(async () => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-ledger-chunks-"));
    book = await ensureLedgerBook(process.env.DATABASE_URL!, EVENTS, cacheDir, () => {}, databaseName);
  }, 300_000);

  afterAll(async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
  });

  it("verifies whole, every stored node counted, those above the chunks included", async () => {
    const client = new pg.Client({ connectionString: book.url });
    await client.connect();
    const { rows } = await client.query<{ nodes: string; upper: string }>(`SELECT count(*)::text AS nodes, count(*) FILTER (WHERE level > ${CHUNK_LEVEL})::text AS upper FROM audit_tree_node`);
    await client.end();
    expect(Number(rows[0]!.upper)).toBe(7);
    const report = await verify();
    expect(report.problem).toBeNull();
    expect(report).toMatchObject({ isValid: true, checkedEvents: EVENTS, checkedTreeNodes: Number(rows[0]!.nodes), checkedCheckpoints: Math.ceil(EVENTS / 10_000) });
  }, 120_000);

  it("names a changed node above the chunks by the events it covers", async () => {
    const where = `level = ${CHUNK_LEVEL + 1} AND index = 1`;
    const report = await verifyDamaged([`UPDATE audit_tree_node SET hash = sha256(hash) WHERE ${where}`], [`UPDATE audit_tree_node SET hash = $1 WHERE ${where}`, [await nodeHash(where)]]);
    expect(report.problem).toMatchObject({ kind: "tree_node_mismatch", seq: 2 * CHUNK_SIZE + 1 });
  }, 120_000);

  it("names a node stored above the chunks that the tree does not have", async () => {
    const report = await verifyDamaged(
      ["INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, 9, $2, sha256('stray'))", [CHUNK_LEVEL + 3, 3 * CHUNK_SIZE - 7]],
      ["DELETE FROM audit_tree_node WHERE level = $1 AND index = 9", [CHUNK_LEVEL + 3]],
    );
    expect(report.problem).toMatchObject({ kind: "tree_node_mismatch", message: expect.stringContaining(`level ${CHUNK_LEVEL + 3}, index 9`) });
  }, 120_000);

  it("reads the app's tables, not an intact copy that an administrator put first on the database's search path", async () => {
    const seq = 7 * CHUNK_SIZE + 11;
    const report = await verifyDamaged(
      [
        `CREATE SCHEMA shadow; CREATE TABLE shadow.audit_event AS TABLE public.audit_event;
         UPDATE public.audit_event SET justification = 'rewritten' WHERE seq = ${seq};
         ALTER DATABASE "${databaseName}" SET search_path = shadow, public`,
      ],
      [
        `ALTER DATABASE "${databaseName}" RESET search_path;
         UPDATE public.audit_event SET justification = (SELECT justification FROM shadow.audit_event WHERE seq = ${seq}) WHERE seq = ${seq};
         DROP SCHEMA shadow CASCADE`,
      ],
    );
    expect(report.problem).toMatchObject({ kind: "changed", seq });
  }, 120_000);

  it("names a changed node inside a later chunk, checked node by node in its worker", async () => {
    const where = `level = 3 AND index = ${(3 * CHUNK_SIZE) / 8 + 5}`;
    const report = await verifyDamaged([`UPDATE audit_tree_node SET hash = sha256(hash) WHERE ${where}`], [`UPDATE audit_tree_node SET hash = $1 WHERE ${where}`, [await nodeHash(where)]]);
    expect(report.problem).toMatchObject({ kind: "tree_node_mismatch", seq: 3 * CHUNK_SIZE + 5 * 8 + 1 });
    // Checked up to the node's last event, where the rebuilt node differs.
    expect(report.checkedEvents).toBe(3 * CHUNK_SIZE + 5 * 8 + 7);
  }, 120_000);
});

async function nodeHash(where: string) {
  const client = new pg.Client({ connectionString: book.url });
  await client.connect();
  try {
    return (await client.query<{ hash: Buffer }>(`SELECT hash FROM audit_tree_node WHERE ${where}`)).rows[0]!.hash;
  } finally {
    await client.end();
  }
}
