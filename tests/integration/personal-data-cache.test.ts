import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { getCustomer } from "~/modules/customers/customers.server";
import { peekDecrypted, personalDataCacheStats, setPersonalDataCacheLifetime } from "~/modules/customers/data-key-cache";
import { readPersonalData } from "~/modules/customers/personal-data.server";
import { dataKeysOf, destroySubjectKeys } from "~/modules/customers/subject-keys.server";
import { decryptTexts, encryptText } from "~/modules/customers/subject-text.server";
import { db, type Tx } from "~/utils/db.server";
import { createErasureSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";
import { actorFor } from "./helpers/actors";

// Issue 14 "Speed", ADR 020: an instance keeps unwrapped data keys and decrypted values for a short
// time, and a crypto-shredded key is never served from it once the erasure has committed — whichever
// instance erased. "Another instance" here is another connection changing the key row the way an
// erasure does, without touching this process's caches (as a second app process would not).

const databaseUrl = inject("databaseUrl");
const isPostgres = inject("databaseKind") === "postgresql";
let dpo: Actor;
let other: pg.Client;
const subjects: string[] = [];

async function subject(tag: string) {
  const created = await createErasureSubject(db, { tag, staffId: personas.dpo.id });
  subjects.push(created.ids.customer);
  return created;
}

/** What another app instance's erasure does to the key row, on its own connection. */
async function shredElsewhere(customerId: string, client = other) {
  await client.query(`UPDATE subject_data_key SET data_key = NULL, data_key_destroyed_at = now() WHERE subject_id = $1::uuid`, [customerId]);
}

beforeAll(async () => {
  dpo = await actorFor("dpo");
  other = new pg.Client({ connectionString: databaseUrl });
  await other.connect();
});

afterEach(() => setPersonalDataCacheLifetime(60_000));

afterAll(async () => {
  await other.end();
  for (const id of subjects) await deleteErasureSubject(db, id);
});

describe.skipIf(!isPostgres)("the cache of unwrapped keys and decrypted values (ADR 020)", () => {
  it("serves a customer's page again from the cache, and the same values", async () => {
    const { ids, personal } = await subject("K1");
    const first = await getCustomer(dpo, ids.customer);
    const before = personalDataCacheStats();
    const second = await getCustomer(dpo, ids.customer);
    const after = personalDataCacheStats();
    expect(second.personalData).toEqual(first.personalData);
    expect(second.personalData?.fullName).toBe(personal.fullName);
    expect(after.valueHits).toBeGreaterThan(before.valueHits);
    expect(after.valueMisses).toBe(before.valueMisses);
  });

  it("never serves a key shredded by another instance once its erasure has committed, though this instance still holds it", async () => {
    const { ids, personal } = await subject("K2");
    const page = await getCustomer(dpo, ids.customer);
    expect(page.personalData?.fullName).toBe(personal.fullName);
    const [stored] = await db.$queryRaw<{ full_name: Uint8Array }[]>`SELECT full_name FROM customer_personal_data WHERE customer_id = ${ids.customer}::uuid`;
    expect(peekDecrypted(ids.customer, "fullName", stored!.full_name)).toBe(personal.fullName);

    // The other instance's erasure, not committed yet: this instance still reads what is still there.
    await other.query("BEGIN");
    await shredElsewhere(ids.customer);
    expect((await getCustomer(dpo, ids.customer)).personalData?.fullName).toBe(personal.fullName);
    await other.query("COMMIT");

    // Committed: the value is still in this process's cache (nothing told it), and is not served.
    expect(peekDecrypted(ids.customer, "fullName", stored!.full_name)).toBe(personal.fullName);
    const afterErasure = await getCustomer(dpo, ids.customer);
    expect(afterErasure.personalData).toBeNull();
    expect(JSON.stringify(afterErasure)).not.toContain(personal.fullName);
    const views = await db.$transaction((tx) => readPersonalData(tx as unknown as Tx, [ids.customer], { system: "test" }));
    expect(views.get(ids.customer)).toEqual({ status: "absent" });
    expect((await dataKeysOf(db, [ids.customer])).get(ids.customer)).toBeNull();
  });

  it("never decrypts free text under a key shredded elsewhere, though the unwrapped key is cached", async () => {
    const { ids } = await subject("K3");
    const sealed = await encryptText(db, { id: ids.customer, kind: "customer" }, "My neighbour has my card.");
    expect(await decryptTexts(db, [{ subjectId: ids.customer, value: sealed }])).toEqual(["My neighbour has my card."]);
    expect(await decryptTexts(db, [{ subjectId: ids.customer, value: sealed }])).toEqual(["My neighbour has my card."]);
    await shredElsewhere(ids.customer);
    expect(await decryptTexts(db, [{ subjectId: ids.customer, value: sealed }])).toEqual([null]);
  });

  it("reads a list the same with the caches off, warm, and after this instance's own erasure forgets the key", async () => {
    const a = await subject("K4");
    const b = await subject("K5");
    const read = () => db.$transaction((tx) => readPersonalData(tx as unknown as Tx, [a.ids.customer, b.ids.customer], { system: "test" }, { fields: ["fullName", "email"] }));
    setPersonalDataCacheLifetime(0);
    const uncached = await read();
    setPersonalDataCacheLifetime(60_000);
    await read();
    expect(await read()).toEqual(uncached);
    await db.$transaction((tx) => destroySubjectKeys(tx as unknown as Tx, a.ids.customer, { data: true, ledger: true }));
    const [stored] = await db.$queryRaw<{ full_name: Uint8Array }[]>`SELECT full_name FROM customer_personal_data WHERE customer_id = ${a.ids.customer}::uuid`;
    expect(peekDecrypted(a.ids.customer, "fullName", stored!.full_name)).toBeUndefined();
    const after = await read();
    expect(after.get(a.ids.customer)).toEqual({ status: "absent" });
    expect(after.get(b.ids.customer)).toEqual(uncached.get(b.ids.customer));
  });

  it("gives a masked role neither values nor ciphertext, though the DPO's read just cached them", async () => {
    const { ids, personal } = await subject("K6");
    expect((await getCustomer(dpo, ids.customer)).personalData?.fullName).toBe(personal.fullName);
    const compliance = await actorFor("compliance");
    const views = await db.$transaction((tx) => readPersonalData(tx as unknown as Tx, [ids.customer], { actor: compliance, purpose: "test" }));
    const view = views.get(ids.customer);
    expect(view).toMatchObject({ status: "shown", data: {} });
    expect(view?.status === "shown" ? view.maskedFields : []).toContain("fullName");
    const sent = JSON.stringify(view);
    expect(sent).not.toContain(personal.fullName);
    expect(sent).not.toContain(personal.email);
  });
});
