import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "~/utils/db.server";
import { stagedAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey } from "~/modules/audit/checkpoints.server";

// Least privilege (issue 12, docs/operations.md "Database roles"): the app's login role, a member of
// attest_runtime, appends through the ledger's functions and can do nothing else to the ledger — no
// direct write to events, tree nodes, checkpoints, cosignatures, the head or signing keys, no TRUNCATE,
// no disabling a trigger. The triggers refuse the same statements even to the owner.

const isPostgres = inject("databaseKind") === "postgresql";
const databaseUrl = process.env.DATABASE_URL!;
const loginRole = `attest_app_test_${randomUUID().slice(0, 8)}`;
let runtime: pg.Client;

beforeAll(async () => {
  await ensureActiveSigningKey();
  await createCheckpoint({ force: true }).catch(() => null);
  if (!isPostgres) return;
  await db.$executeRawUnsafe(`CREATE ROLE ${loginRole} LOGIN IN ROLE attest_runtime`);
  const url = new URL(databaseUrl);
  url.username = loginRole;
  url.password = "";
  runtime = new pg.Client({ connectionString: url.toString() });
  await runtime.connect();
});

afterAll(async () => {
  if (!isPostgres) return;
  await runtime.end();
  await db.$executeRawUnsafe(`DROP ROLE ${loginRole}`);
});

async function refused(client: pg.Client, sql: string, params: unknown[] = []) {
  await client.query("BEGIN");
  try {
    await client.query(sql, params);
    await client.query("SET CONSTRAINTS ALL IMMEDIATE");
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.query("ROLLBACK");
  }
}

const forbidden = [
  ["INSERT into audit_event", "INSERT INTO audit_event (seq, id, occurred_at, actor_type, action, subject_type, leaf_hash) VALUES (999999, gen_random_uuid(), now(), 'staff', 'x', 'y', '\\x00')"],
  ["UPDATE audit_event", "UPDATE audit_event SET justification = 'x' WHERE seq = 1"],
  ["DELETE from audit_event", "DELETE FROM audit_event WHERE seq = 1"],
  ["TRUNCATE audit_event", "TRUNCATE audit_event CASCADE"],
  ["INSERT into audit_tree_node", "INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES (30, 0, 1, '\\x00')"],
  ["UPDATE audit_tree_node", "UPDATE audit_tree_node SET hash = hash"],
  ["call attest_extend_ledger_tree directly", "SELECT attest_extend_ledger_tree(999999, '\\x00')"],
  ["UPDATE audit_ledger_head", "UPDATE audit_ledger_head SET size = 0"],
  ["TRUNCATE audit_ledger_head", "TRUNCATE audit_ledger_head"],
  ["INSERT into checkpoint", "INSERT INTO checkpoint (number, tree_size, root_hash, created_at, signing_key_id, body, signature) SELECT number + 1, tree_size + 1, root_hash, now(), signing_key_id, body, signature FROM checkpoint ORDER BY number DESC LIMIT 1"],
  ["DELETE from checkpoint", "DELETE FROM checkpoint"],
  ["INSERT into checkpoint_cosignature", "INSERT INTO checkpoint_cosignature (id, checkpoint_id, witness_name, witness_key_id, cosigned_at, signature_line) SELECT gen_random_uuid(), id, 'w', '00000000', now(), 'x' FROM checkpoint LIMIT 1"],
  ["INSERT into signing_key", "INSERT INTO signing_key (id, fingerprint, algorithm, armored_public_key) VALUES (gen_random_uuid(), 'F00', 'x', 'x')"],
  ["UPDATE signing_key", "UPDATE signing_key SET retired_at = NULL"],
  ["DELETE from signing_key", "DELETE FROM signing_key"],
  ["disable a ledger trigger", "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"],
  ["drop a ledger trigger", "DROP TRIGGER audit_event_append_only ON audit_event"],
  ["switch triggers off for the session", "SET session_replication_role = replica"],
  ["write the staging table directly", "INSERT INTO attest_ledger.audit_event_pending (id) VALUES (gen_random_uuid())"],
  ["record a checkpoint that is not the next link", "SELECT attest_record_checkpoint(1, 1, '\\x00', now(), (SELECT id FROM signing_key WHERE retired_at IS NULL AND activated_at IS NOT NULL LIMIT 1), 'x', 'x', NULL, NULL)"],
] as const;

describe.runIf(isPostgres)("the runtime role", () => {
  it("appends through the ledger's functions", async () => {
    const staged = stagedAuditEvent(systemAuditContext, { action: "seed.loaded", subjectType: "RuntimeRoleTest", subjectId: "ok" }, null);
    const before = Number((await runtime.query<{ size: string }>("SELECT size::text FROM audit_ledger_head")).rows[0]!.size);
    await runtime.query("BEGIN");
    await runtime.query("SELECT attest_stage_audit_event($1::jsonb)", [JSON.stringify(staged)]);
    await runtime.query("COMMIT");
    const after = await runtime.query<{ seq: string }>("SELECT seq::text FROM audit_event WHERE id = $1", [staged.id]);
    expect(Number(after.rows[0]!.seq)).toBeGreaterThan(before);
    // Reads are allowed everywhere.
    expect((await runtime.query("SELECT count(*) FROM checkpoint")).rows).toHaveLength(1);
  });

  for (const [name, sql] of forbidden) {
    it(`cannot ${name}`, async () => {
      expect(await refused(runtime, sql)).toMatch(/permission denied|append-only|append path|only|must be owner|superuser|next one|insufficient/i);
    });
  }
});

describe("the ledger's triggers, even for the owner", () => {
  const ownerRefused = [
    ["INSERT into audit_event outside the append path", "INSERT INTO audit_event (seq, id, occurred_at, actor_type, action, subject_type, leaf_hash) VALUES (999999, gen_random_uuid(), now(), 'staff', 'x', 'y', '\\x00')"],
    ["INSERT into audit_tree_node outside the append path", "INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES (30, 0, 1, '\\x00')"],
    ["TRUNCATE audit_ledger_head", "TRUNCATE audit_ledger_head"],
    ["INSERT a second head row", "INSERT INTO audit_ledger_head (id, size) VALUES (2, 0)"],
    ["TRUNCATE signing_key", "TRUNCATE signing_key CASCADE"],
    ["DELETE a signing key", "DELETE FROM signing_key"],
    ["re-activate a retired key or rewrite a key", "UPDATE signing_key SET armored_public_key = 'x'"],
    ["insert an already active key", "INSERT INTO signing_key (id, fingerprint, algorithm, armored_public_key, activated_at) VALUES (gen_random_uuid(), 'F00', 'x', 'x', now())"],
    ["insert a checkpoint that is not the next link", "INSERT INTO checkpoint (number, tree_size, root_hash, created_at, signing_key_id, body, signature) SELECT number, tree_size, root_hash, now(), signing_key_id, body, signature FROM checkpoint ORDER BY number DESC LIMIT 1"],
  ] as const;
  for (const [name, sql] of ownerRefused) {
    it(`refuse: ${name}`, async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        expect(await refused(client, sql)).toMatch(/append-only|append path|only|forward|staged|next one/i);
      } finally {
        await client.end();
      }
    });
  }
});
