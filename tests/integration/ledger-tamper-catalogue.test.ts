import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "~/utils/db.server";
import { appendAuditEvent, stagedAuditEvent, systemAuditContext } from "~/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey, latestCheckpoint, signedNoteOf } from "~/modules/audit/checkpoints.server";
import { checkpointView } from "~/modules/audit/proofs.server";
import { eventTagKeys } from "~/modules/audit/event-tag-keys.server";
import { verifyLedger, type LedgerProblem, type LedgerReport } from "~/modules/audit/verify.server";
import { CHUNK_LEVEL, CHUNK_SIZE, checkEventChunk } from "~/modules/audit/verify-chunk.server";
import { EventTagChecker } from "~/modules/audit/event-tag";
import type { TrustedCheckpointInput } from "~/modules/audit/trusted-checkpoint";
import { forgerKey, insertCheckpointRow, insertKeyRow, resignAllCheckpoints, signedCheckpointRow, transitionStatement, type ForgerKey } from "../support/ledger-forgery";

// The tamper catalogue (issue 12): a database administrator damages the ledger in every way the
// outside review tried — as the superuser, triggers off where needed — and the verifier must fail and
// name the first bad event, node, checkpoint or key; with a checkpoint kept outside the database
// (`--trusted-checkpoint`) as well as without one. Each case runs in a transaction rolled back after.

const databaseUrl = process.env.DATABASE_URL!;

let legitKey: ForgerKey;
let activeKeyId = "";
let trusted: TrustedCheckpointInput[] = [];
let trustedNote: TrustedCheckpointInput[] = [];
let size = 0;
let lastCheckpoint = { number: 0, treeSize: 0 };
let keptSize = 0;

async function appendEvents(count: number, label: string) {
  for (let i = 0; i < count; i++) {
    await db.$transaction((tx) => appendAuditEvent(tx, systemAuditContext, { action: "seed.loaded", subjectType: "TamperTest", subjectId: `${label}-${i}`, justification: `${label} ${i}`, changes: { i } }));
  }
}

type Tamper = (client: pg.Client) => Promise<void>;

async function verifyAfter(tamper: Tamper, options: { trustedCheckpoints?: TrustedCheckpointInput[]; maxPendingMs?: number | null; replica?: boolean; now?: Date; tagKeys?: { id: string; secret: Uint8Array }[] } = {}): Promise<LedgerReport> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    if (options.replica !== false) await client.query("SET LOCAL session_replication_role = replica");
    await tamper(client);
    await client.query("SET LOCAL session_replication_role = origin");
    return await verifyLedger({
      client,
      pinnedFingerprints: [legitKey.fingerprint],
      tagKeys: options.tagKeys ?? eventTagKeys(),
      maxPendingMs: options.maxPendingMs === undefined ? null : options.maxPendingMs,
      trustedCheckpoints: options.trustedCheckpoints ?? [],
      now: options.now,
    });
  } finally {
    await client.query("ROLLBACK");
    await client.end();
  }
}

beforeAll(async () => {
  const key = await ensureActiveSigningKey();
  activeKeyId = key.id;
  legitKey = await forgerKey(process.env.ATTEST_SIGNING_KEY!);
  expect(key.fingerprint).toBe(legitKey.fingerprint);
  await appendEvents(6, "a");
  await createCheckpoint();
  await appendEvents(20, "b");
  await createCheckpoint();
  // The auditor keeps this checkpoint outside the database (JSON and signed note).
  const kept = (await latestCheckpoint())!;
  trusted = [{ source: "kept-checkpoint.json", text: JSON.stringify(checkpointView(kept)) }];
  trustedNote = [{ source: "kept-checkpoint.note", text: signedNoteOf(kept)! }];
  keptSize = kept.treeSize;
  await appendEvents(5, "c");
  await createCheckpoint();
  const latest = (await latestCheckpoint())!;
  lastCheckpoint = { number: latest.number, treeSize: latest.treeSize };
  size = Number((await db.auditLedgerHead.findUniqueOrThrow({ where: { id: 1 } })).size);
}, 120_000);

const at = (offset: number) => size - offset;

interface Case {
  name: string;
  tamper: Tamper;
  expected: (ctx: { size: number }) => Partial<LedgerProblem>;
  /** Only a checkpoint kept outside the database can reveal it (the database alone is consistent). */
  needsOutsideAnchor?: boolean;
}

const cases: Case[] = [
  { name: "an event's payload changed", tamper: (c) => c.query("UPDATE audit_event SET justification = 'rewritten' WHERE seq = $1", [at(10)]).then(() => {}), expected: () => ({ kind: "changed", seq: at(10) }) },
  {
    name: "an event's payload changed with its leaf hash recomputed (tag key not held)",
    tamper: async (c) => {
      const { eventLeafHash } = await import("~/modules/audit/event-document");
      const row = await db.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(at(10)) } });
      await c.query("UPDATE audit_event SET justification = 'rewritten', leaf_hash = $2 WHERE seq = $1", [at(10), eventLeafHash({ ...row, justification: "rewritten" })]);
    },
    expected: () => ({ kind: "unauthenticated", seq: at(10) }),
  },
  { name: "an event's leaf hash changed", tamper: (c) => c.query("UPDATE audit_event SET leaf_hash = sha256(leaf_hash) WHERE seq = $1", [at(7)]).then(() => {}), expected: () => ({ kind: "changed", seq: at(7) }) },
  { name: "an event's time changed", tamper: (c) => c.query("UPDATE audit_event SET occurred_at = occurred_at + interval '1 second' WHERE seq = $1", [at(12)]).then(() => {}), expected: () => ({ kind: "changed", seq: at(12) }) },
  { name: "an event deleted", tamper: (c) => c.query("DELETE FROM audit_event WHERE seq = $1", [at(8)]).then(() => {}), expected: () => ({ kind: "missing", seq: at(8) }) },
  {
    name: "two events swapped",
    tamper: async (c) => {
      await c.query("UPDATE audit_event SET seq = -1 WHERE seq = $1", [at(9)]);
      await c.query("UPDATE audit_event SET seq = $1 WHERE seq = $2", [at(9), at(8)]);
      await c.query("UPDATE audit_event SET seq = $1 WHERE seq = -1", [at(8)]);
    },
    expected: () => ({ kind: "reordered", seq: at(9) }),
  },
  {
    name: "events renumbered to close a deleted one's gap",
    tamper: async (c) => {
      await c.query("DELETE FROM audit_event WHERE seq = $1", [at(4)]);
      // Through a range far above the ledger, so that the primary key never sees two rows at once
      // whatever order the heap returns them in.
      await c.query("UPDATE audit_event SET seq = seq + 1000000000 WHERE seq > $1", [at(4)]);
      await c.query("UPDATE audit_event SET seq = seq - 1000000001 WHERE seq > 1000000000");
    },
    expected: () => ({ kind: "reordered", seq: at(4) }),
  },
  {
    name: "an identical copy of an event inserted (duplicated seq)",
    tamper: async (c) => {
      await c.query("ALTER TABLE audit_event DROP CONSTRAINT audit_event_pkey CASCADE");
      await c.query("DROP INDEX IF EXISTS audit_event_id_key CASCADE");
      await c.query("INSERT INTO audit_event SELECT * FROM audit_event WHERE seq = $1", [at(6)]);
    },
    expected: () => ({ kind: "duplicated", seq: at(6) }),
  },
  { name: "a stored tree node changed", tamper: (c) => c.query("UPDATE audit_tree_node SET hash = sha256(hash) WHERE level = 1 AND index = 1").then(() => {}), expected: () => ({ kind: "tree_node_mismatch", seq: 3 }) },
  {
    name: "a stray tree node stored above the chunks' subtrees",
    tamper: (c) => c.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, 0, $2, sha256('stray'))", [CHUNK_LEVEL + 5, at(3)]).then(() => {}),
    expected: () => ({ kind: "tree_node_mismatch" }),
  },
  {
    name: "stray tree nodes stored at tree size 0, in a chunk's levels and above",
    tamper: async (c) => {
      await c.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES (2, 4242, 0, sha256('stray'))");
      await c.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, 7, -3, sha256('stray'))", [CHUNK_LEVEL + 1]);
    },
    expected: () => ({ kind: "tree_node_mismatch" }),
  },
  {
    name: "an intact copy of the events in a schema put first on the search path, the app's table changed",
    tamper: async (c) => {
      await c.query("CREATE SCHEMA shadow");
      await c.query("CREATE TABLE shadow.audit_event AS TABLE public.audit_event");
      await c.query("UPDATE public.audit_event SET justification = 'rewritten' WHERE seq = $1", [at(10)]);
      await c.query("SET LOCAL search_path = shadow, public");
    },
    expected: () => ({ kind: "changed", seq: at(10) }),
  },
  {
    name: "a changed tree node hidden from the digest by a sha256 of the administrator's, first on the search path",
    tamper: async (c) => {
      const { rows: [original] } = await c.query<{ hash: Buffer }>("SELECT hash FROM audit_tree_node WHERE level = 1 AND index = 1");
      const { rows: [forged] } = await c.query<{ hash: Buffer }>("UPDATE audit_tree_node SET hash = sha256(hash) WHERE level = 1 AND index = 1 RETURNING hash");
      // Digests whatever it is given with the forged node's hash put back: the chunk's digest comes out as before.
      await c.query("CREATE SCHEMA shadow");
      await c.query(
        `CREATE FUNCTION shadow.sha256(bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT pg_catalog.sha256(pg_catalog.decode(pg_catalog.replace(pg_catalog.encode($1, 'hex'), '${forged!.hash.toString("hex")}', '${original!.hash.toString("hex")}'), 'hex')) $$`,
      );
      // pg_catalog is searched first unless the path names it later.
      await c.query("SET LOCAL search_path = shadow, pg_catalog, public");
    },
    expected: () => ({ kind: "tree_node_mismatch", seq: 3 }),
  },
  { name: "the head moved back", tamper: (c) => c.query("UPDATE audit_ledger_head SET size = size - 1").then(() => {}), expected: () => ({ kind: "inserted", seq: size }) },
  { name: "the head moved forward", tamper: (c) => c.query("UPDATE audit_ledger_head SET size = size + 2").then(() => {}), expected: () => ({ kind: "missing", seq: size + 1 }) },
  {
    name: "a forged event appended through the staging function",
    replicaOff: true,
    tamper: async (c) => {
      const staged = stagedAuditEvent(systemAuditContext, { action: "staff_user.created", subjectType: "StaffUser", subjectId: "forged" }, { after: { role: "admin" } });
      // The attacker cannot compute the tag without the application's key: they copy one.
      await c.query("SELECT attest_stage_audit_event($1::jsonb)", [JSON.stringify({ ...staged, leaf_prefix: staged.leaf_prefix, tag: "0".repeat(64), leaf_suffix: staged.leaf_suffix.replace(/"mac":"[0-9a-f]{64}"/, `"mac":"${"0".repeat(64)}"`) })]);
      await c.query("SET CONSTRAINTS ALL IMMEDIATE");
    },
    expected: () => ({ kind: "unauthenticated", seq: size + 1 }),
  } as Case & { replicaOff: boolean },
  {
    name: "a forged event inserted through SQL and the head moved to cover it",
    tamper: async (c) => {
      await c.query(
        `INSERT INTO audit_event (seq, id, occurred_at, actor_type, action, subject_type, leaf_hash, tag_key_id, tag)
         SELECT $1, gen_random_uuid(), now(), 'staff', 'staff_user.created', 'StaffUser', '\\x00', tag_key_id, tag FROM audit_event WHERE seq = $2`,
        [size + 1, size],
      );
      await c.query("UPDATE audit_ledger_head SET size = size + 1");
      const { rows } = await c.query<{ seq: string }>("SELECT seq::text FROM audit_event WHERE seq = $1", [size + 1]);
      expect(rows).toHaveLength(1);
    },
    expected: () => ({ seq: size + 1 }),
  },
  { name: "a middle checkpoint deleted", tamper: (c) => c.query("DELETE FROM checkpoint WHERE number = $1", [lastCheckpoint.number - 1]).then(() => {}), expected: () => ({ kind: "missing", checkpointNumber: lastCheckpoint.number - 1 }) },
  { name: "the current key's row deleted", tamper: (c) => c.query("DELETE FROM signing_key WHERE id = $1", [activeKeyId]).then(() => {}), expected: () => ({ kind: "unverifiable_checkpoint", checkpointNumber: 1 }) },
  {
    name: "the retired key re-activated (after a rotation)",
    tamper: async (c) => {
      const next = await forgerKey();
      const now = new Date();
      const transition = await transitionStatement(c, legitKey, next, now);
      await c.query("UPDATE signing_key SET retired_at = $2 WHERE id = $1", [activeKeyId, now]);
      await insertKeyRow(c, next, now, transition);
      // …and then the DBA re-activates the retired key.
      await c.query("UPDATE signing_key SET retired_at = NULL WHERE id = $1", [activeKeyId]);
    },
    expected: () => ({ kind: "untrusted_key", keyFingerprint: legitKey.fingerprint }),
  },
  {
    name: "an extra checkpoint with a correct root signed by an inserted key",
    tamper: async (c) => {
      const attacker = await forgerKey();
      const keyId = await insertKeyRow(c, attacker, new Date(Date.now() - 1000));
      await c.query("ALTER TABLE checkpoint DROP CONSTRAINT IF EXISTS checkpoint_tree_size_key");
      await c.query("DROP INDEX IF EXISTS checkpoint_tree_size_key");
      const { rows } = await c.query<{ number: string; body: string }>("SELECT number::text, body FROM checkpoint ORDER BY checkpoint.number DESC LIMIT 1");
      await insertCheckpointRow(c, await signedCheckpointRow(c, attacker, keyId, size, { number: Number(rows[0]!.number), body: rows[0]!.body }, new Date()));
    },
    expected: () => ({ kind: "untrusted_key" }),
  },
  {
    name: "the whole history re-signed with an inserted key (the original key row deleted)",
    tamper: async (c) => {
      const attacker = await forgerKey();
      const keyId = await insertKeyRow(c, attacker, new Date(0));
      await resignAllCheckpoints(c, attacker, keyId);
      await c.query("DELETE FROM signing_key WHERE id = $1", [activeKeyId]);
    },
    expected: () => ({ kind: "untrusted_key" }),
  },
  {
    name: "the whole history re-signed after writing over the existing key row",
    tamper: async (c) => {
      const attacker = await forgerKey();
      await c.query("UPDATE signing_key SET armored_public_key = $2 WHERE id = $1", [activeKeyId, attacker.armoredPublicKey]);
      await resignAllCheckpoints(c, { ...attacker, fingerprint: legitKey.fingerprint }, activeKeyId);
    },
    expected: () => ({ kind: "untrusted_key", keyFingerprint: legitKey.fingerprint }),
  },
  {
    name: "the key row overwritten with the attacker's key and fingerprint, history re-signed",
    tamper: async (c) => {
      const attacker = await forgerKey();
      await c.query("UPDATE signing_key SET armored_public_key = $2, fingerprint = $3 WHERE id = $1", [activeKeyId, attacker.armoredPublicKey, attacker.fingerprint]);
      await resignAllCheckpoints(c, attacker, activeKeyId);
    },
    expected: () => ({ kind: "untrusted_key" }),
  },
  {
    name: "everything truncated (events, nodes, checkpoints, head = 0)",
    tamper: async (c) => {
      await c.query("TRUNCATE audit_event, audit_tree_node, checkpoint_cosignature, checkpoint CASCADE");
      await c.query("UPDATE audit_ledger_head SET size = 0");
    },
    expected: () => ({ kind: "truncated", seq: 1 }),
  },
  {
    name: "a tail of events cut off with its checkpoints and nodes, the head set back",
    needsOutsideAnchor: true,
    tamper: async (c) => {
      const cut = keptSize - 3;
      await c.query("DELETE FROM checkpoint WHERE tree_size > $1", [cut]);
      await c.query("DELETE FROM audit_event WHERE seq > $1", [cut]);
      await c.query("DELETE FROM audit_tree_node WHERE tree_size > $1", [cut]);
      await c.query("UPDATE audit_ledger_head SET size = $1", [cut]);
    },
    expected: () => ({ kind: "truncated" }),
  },
];

describe("the tamper catalogue", () => {
  it("an intact ledger verifies, with and without the kept checkpoint, in both forms", async () => {
    for (const trustedCheckpoints of [[], trusted, trustedNote]) {
      const report = await verifyAfter(async () => {}, { trustedCheckpoints });
      expect(report.problem).toBeNull();
      expect(report.tagsChecked).toBe(true);
      expect(report.trustedCheckpoints).toHaveLength(trustedCheckpoints.length);
    }
  });

  for (const testCase of cases) {
    const replica = !(testCase as { replicaOff?: boolean }).replicaOff;
    it(`${testCase.name}: caught without a trusted checkpoint`, async () => {
      const report = await verifyAfter(testCase.tamper, { replica });
      if (testCase.needsOutsideAnchor) {
        // The database alone is consistent after this: only a checkpoint kept outside it tells (below).
        expect(report.problem).toBeNull();
        return;
      }
      expect(report.isValid).toBe(false);
      expect(report.problem).toMatchObject(testCase.expected({ size }));
    });
    it(`${testCase.name}: caught with a trusted checkpoint`, async () => {
      const report = await verifyAfter(testCase.tamper, { replica, trustedCheckpoints: trusted });
      expect(report.isValid).toBe(false);
      if (!testCase.needsOutsideAnchor) expect(report.problem).toMatchObject(testCase.expected({ size }));
      else expect(report.problem?.kind).toMatch(/truncated|checkpoint_mismatch/);
    });
  }

  it("a rewrite of the events up to the kept checkpoint, with every hash, node and checkpoint recomputed, fails against it", async () => {
    const kept = { treeSize: keptSize };
    const { eventLeafHash } = await import("~/modules/audit/event-document");
    const original = await db.auditEvent.findUniqueOrThrow({ where: { seq: BigInt(kept.treeSize - 1) } });
    const report = await verifyAfter(
      async (c) => {
        await c.query("DELETE FROM audit_tree_node");
        await c.query("DELETE FROM checkpoint_cosignature");
        await c.query("DELETE FROM checkpoint");
        await c.query("UPDATE audit_event SET justification = 'rewritten', leaf_hash = $2 WHERE seq = $1", [kept.treeSize - 1, eventLeafHash({ ...original, justification: "rewritten" })]);
        // Rebuild the nodes from the (changed) leaves and re-sign every checkpoint with the real key
        // (the worst case: the attacker also stole the signing key).
        const { rows } = await c.query<{ seq_text: string; leaf_hash: Buffer }>("SELECT seq::text AS seq_text, leaf_hash FROM audit_event ORDER BY audit_event.seq");
        const { CompactRange } = await import("~/modules/audit/merkle");
        const range = new CompactRange();
        for (const row of rows) {
          for (const node of range.push(row.leaf_hash)) await c.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, $2, $3, $4)", [node.level, node.index, row.seq_text, node.hash]);
        }
        let previous: { number: number; body: string } | null = null;
        for (const treeSize of [kept.treeSize - 1, size]) {
          const row: Awaited<ReturnType<typeof signedCheckpointRow>> = await signedCheckpointRow(c, legitKey, activeKeyId, treeSize, previous, new Date());
          await insertCheckpointRow(c, row);
          previous = { number: row.number, body: row.body };
        }
      },
      // An auditor without the tag key: the tags would have caught the rewrite first.
      { trustedCheckpoints: trusted, tagKeys: [] },
    );
    expect(report.problem, report.problem?.message).toMatchObject({ kind: "checkpoint_mismatch", seq: keptSize });
  });

  it("events left pending longer than the bound fail; within it they are reported as pending", async () => {
    await appendEvents(1, "pending");
    const within = await verifyAfter(async () => {}, { maxPendingMs: 60_000 });
    expect(within.problem).toBeNull();
    expect(within.uncoveredEvents).toBe(1);
    const later = await verifyAfter(async () => {}, { maxPendingMs: 60_000, now: new Date(Date.now() + 120_000) });
    expect(later.problem).toMatchObject({ kind: "pending_too_old", seq: size + 1 });
    await createCheckpoint();
  });
});

describe("key rotation", () => {
  it("a chain of three keys, each introduced by its predecessor's signed transition, verifies from the first pinned key; an inserted fourth does not", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      const keys = [legitKey, await forgerKey(), await forgerKey()];
      const keyIds = [activeKeyId];
      for (let i = 1; i < keys.length; i++) {
        // Through the ledger's own functions, with every trigger on: the app's rotation path.
        await client.query("SELECT attest_register_signing_key($1, 'EdDSA (Ed25519), OpenPGP v4', $2)", [keys[i]!.fingerprint, keys[i]!.armoredPublicKey]);
        const { rows } = await client.query<{ id: string }>("SELECT id::text FROM signing_key WHERE fingerprint = $1", [keys[i]!.fingerprint]);
        keyIds.push(rows[0]!.id);
        const now = new Date();
        const transition = await transitionStatement(client, keys[i - 1]!, keys[i]!, now);
        await client.query("SELECT attest_activate_signing_key($1::uuid, $2, $3, $4)", [keyIds[i], now, transition.body, transition.signature]);
        const staged = stagedAuditEvent(systemAuditContext, { action: "signing_key.rotation_approved", subjectType: "SigningKey", subjectId: keyIds[i] }, { transition });
        await client.query("SELECT attest_stage_audit_event($1::jsonb)", [JSON.stringify(staged)]);
        await client.query("SET CONSTRAINTS ALL IMMEDIATE");
        const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head")).rows[0]!.size);
        const { rows: last } = await client.query<{ number: string; body: string }>("SELECT number::text, body FROM checkpoint ORDER BY checkpoint.number DESC LIMIT 1");
        await new Promise((resolve) => setTimeout(resolve, 5));
        const row = await signedCheckpointRow(client, keys[i]!, keyIds[i]!, head, { number: Number(last[0]!.number), body: last[0]!.body }, new Date());
        await client.query("SELECT attest_record_checkpoint($1, $2, $3, $4, $5::uuid, $6, $7, $8, $9)", [row.number, row.treeSize, row.root, row.createdAt, row.keyId, row.body, row.signature, row.note, row.noteSignature]);
      }
      const options = { client, pinnedFingerprints: [legitKey.fingerprint], tagKeys: eventTagKeys(), maxPendingMs: null, trustedCheckpoints: trusted };
      const report = await verifyLedger(options);
      expect(report.problem).toBeNull();
      expect(report.trust.trustedKeys.map((key) => key.fingerprint)).toEqual(expect.arrayContaining(keys.map((key) => key.fingerprint)));
      expect(report.trust.trustedKeys.find((key) => key.fingerprint === keys[2]!.fingerprint)?.introducedBy).toBe(keys[1]!.fingerprint);

      // Pinning only the last key does not make the earlier checkpoints trustworthy.
      expect((await verifyLedger({ ...options, pinnedFingerprints: [keys[2]!.fingerprint] })).problem?.kind).toBe("untrusted_key");

      // A fourth key "introduced" by a transition signed by a key outside the chain is an intrusion.
      await client.query("SAVEPOINT before_intrusion");
      await client.query("SET LOCAL session_replication_role = replica");
      const outsider = await forgerKey();
      const intruder = await forgerKey();
      await insertKeyRow(client, intruder, new Date(), await transitionStatement(client, outsider, intruder, new Date()));
      await client.query("SET LOCAL session_replication_role = origin");
      expect((await verifyLedger(options)).problem).toMatchObject({ kind: "untrusted_key", keyFingerprint: intruder.fingerprint });
      await client.query("ROLLBACK TO SAVEPOINT before_intrusion");

      // A transition whose signature was forged (signed by the incoming key itself) is refused too.
      await client.query("SET LOCAL session_replication_role = replica");
      const selfMade = await transitionStatement(client, keys[2]!, intruder, new Date());
      await insertKeyRow(client, intruder, new Date(), { body: selfMade.body.replace(keys[2]!.fingerprint, keys[1]!.fingerprint), signature: selfMade.signature });
      await client.query("SET LOCAL session_replication_role = origin");
      expect((await verifyLedger(options)).problem).toMatchObject({ kind: "untrusted_key", keyFingerprint: intruder.fingerprint });
    } finally {
      await client.query("ROLLBACK");
      await client.end();
    }
  });
});

describe("a chunk's stored tree nodes", () => {
  it("are checked against the database's digest of them, and one by one when a node was changed, naming it", async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      const head = Number((await client.query<{ size: string }>("SELECT size::text FROM audit_ledger_head WHERE id = 1")).rows[0]!.size);
      // The ledger's first chunk (all of this test ledger).
      const toSeq = Math.min(head, CHUNK_SIZE);
      const nodeCount = Number((await client.query<{ count: string }>("SELECT count(*)::text FROM audit_tree_node WHERE tree_size <= $1", [toSeq])).rows[0]!.count);
      const check = () => checkEventChunk({ client, isCopySupported: true }, { fromSeq: 0, toSeq, checkpointSizes: [] }, head, new EventTagChecker(eventTagKeys()));

      const intact = await check();
      expect(intact.problem).toBeNull();
      expect(intact).toMatchObject({ count: toSeq, nodeCheck: "digest", checkedTreeNodes: nodeCount });

      await client.query("SET LOCAL session_replication_role = replica");
      await client.query("SAVEPOINT intact");
      await client.query("UPDATE audit_tree_node SET hash = sha256(hash) WHERE level = 1 AND index = 1");
      const changed = await check();
      expect(changed.nodeCheck).toBe("each node");
      expect(changed.problem).toMatchObject({ kind: "tree_node_mismatch", seq: 3 });
      await client.query("ROLLBACK TO SAVEPOINT intact");

      // A node the tree does not have, stored among the chunk's: the digest differs too.
      await client.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES (3, 999999, 4, sha256('extra'))");
      const extra = await check();
      expect(extra.nodeCheck).toBe("each node");
      expect(extra.problem?.kind).toBe("tree_node_mismatch");
      await client.query("ROLLBACK TO SAVEPOINT intact");

      // At a level the tree never stores (leaves, or below), too.
      for (const level of [0, -1]) {
        await client.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, 5, 6, sha256('stray'))", [level]);
        expect((await check()).problem?.kind).toBe("tree_node_mismatch");
        await client.query("ROLLBACK TO SAVEPOINT intact");
      }

      // After the chunk's last node (at its end, at the chunk's top level): left over once the subtree
      // is rebuilt, and named.
      await client.query("INSERT INTO audit_tree_node (level, index, tree_size, hash) VALUES ($1, 3, $2, sha256('stray'))", [CHUNK_LEVEL, toSeq]);
      const leftOver = await check();
      expect(leftOver.nodeCheck).toBe("each node");
      expect(leftOver.problem).toMatchObject({ kind: "tree_node_mismatch", message: expect.stringContaining(`level ${CHUNK_LEVEL}, index 3`) });
      await client.query("ROLLBACK TO SAVEPOINT intact");
    } finally {
      await client.query("ROLLBACK");
      await client.end();
    }
  });
});
