import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// The database refuses a subject key that is not wrapped under the active key-encryption key (ADR 009),
// checked once per statement over every row it wrote (migration 20261206031500): an instance that
// missed a rotation cannot wrap new keys under a KEK about to be destroyed, in a batch or alone.

const databaseUrl = inject("databaseUrl");
const isPostgres = inject("databaseKind") === "postgresql";
let client: pg.Client;
let activeKid: string;
const retiredKid = `retired-test-${randomUUID().slice(0, 8)}`;

async function refusal(sql: string, values: unknown[]) {
  await client.query("BEGIN");
  try {
    await client.query(sql, values);
    return null;
  } catch (error) {
    return error as { message: string; hint?: string };
  } finally {
    await client.query("ROLLBACK");
  }
}

beforeAll(async () => {
  client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ kid: string }>(`SELECT kid FROM key_encryption_key WHERE retired_at IS NULL AND destroyed_at IS NULL`);
  activeKid = rows[0]!.kid;
  await client.query(`INSERT INTO key_encryption_key (kid, created_at, activated_at, retired_at) VALUES ($1, now(), now(), now())`, [retiredKid]);
});

afterAll(async () => {
  await client.query(`DELETE FROM key_encryption_key WHERE kid = $1`, [retiredKid]);
  await client.end();
});

const insert = `INSERT INTO subject_data_key (subject_id, subject_kind, kek_id, data_key, ledger_key)
  SELECT id, 'customer', kid, key, key FROM unnest($1::uuid[], $2::text[], $3::bytea[]) AS u(id, kid, key)`;

describe.skipIf(!isPostgres)("subject keys are written only under the active key-encryption key", () => {
  it("accepts a batch wrapped under the active KEK, and refuses a whole batch with one key under a retired KEK", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const keys = ids.map(() => randomBytes(60));
    expect(await refusal(insert, [ids, ids.map(() => activeKid), keys])).toBeNull();
    const error = await refusal(insert, [ids, [activeKid, retiredKid, activeKid], keys]);
    expect(error?.message).toContain(`key-encryption key ${retiredKid} is not the active one`);
    expect(error?.message).toContain(ids[1]);
    expect(error?.hint).toBe("attest:retired-kek");
  });

  it("refuses a key with no KEK, and an update moving a key to a retired KEK or replacing it under one", async () => {
    expect((await refusal(insert, [[randomUUID()], [null], [randomBytes(60)]]))?.message).toContain("must be wrapped under a key-encryption key");
    const id = randomUUID();
    await client.query(insert, [[id], [activeKid], [randomBytes(60)]]);
    try {
      expect((await refusal(`UPDATE subject_data_key SET kek_id = $2 WHERE subject_id = $1`, [id, retiredKid]))?.hint).toBe("attest:retired-kek");
      await client.query(`UPDATE key_encryption_key SET retired_at = NULL WHERE kid = $1`, [retiredKid]);
      await client.query(`UPDATE subject_data_key SET kek_id = $2 WHERE subject_id = $1`, [id, retiredKid]);
      await client.query(`UPDATE key_encryption_key SET retired_at = now() WHERE kid = $1`, [retiredKid]);
      // Under a KEK retired since: a new data key is refused, touching other columns or destroying is not.
      expect((await refusal(`UPDATE subject_data_key SET data_key = $2 WHERE subject_id = $1`, [id, randomBytes(60)]))?.hint).toBe("attest:retired-kek");
      expect(await refusal(`UPDATE subject_data_key SET rewrapped_at = now() WHERE subject_id = $1`, [id])).toBeNull();
      expect(await refusal(`UPDATE subject_data_key SET data_key = NULL, ledger_key = NULL, data_key_destroyed_at = now(), ledger_key_destroyed_at = now() WHERE subject_id = $1`, [id])).toBeNull();
      // A rotation's re-wrap under the active KEK goes through.
      expect(await refusal(`UPDATE subject_data_key SET kek_id = $2, data_key = $3, ledger_key = $3 WHERE subject_id = $1`, [id, activeKid, randomBytes(60)])).toBeNull();
    } finally {
      await client.query(`DELETE FROM subject_data_key WHERE subject_id = $1`, [id]);
    }
  });

  it("lets an erasure leave a tombstone with no keys and no KEK", async () => {
    expect(await refusal(`INSERT INTO subject_data_key (subject_id, data_key_destroyed_at, ledger_key_destroyed_at) VALUES ($1, now(), now())`, [randomUUID()])).toBeNull();
  });
});
