import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { decideErasureApproval, executeErasure, requestErasureApproval } from "~/modules/privacy/erasure.server";
import { rotateKeyEncryptionKey } from "~/modules/customers/kek-rotation.server";
import { blindIndex, decryptField, deriveBlindIndexKey, isEncryptedField, unwrapKey } from "~/modules/customers/field-crypto";
import { keysFromDirectory } from "~/modules/customers/kek-files";
import { dataKeysOf } from "~/modules/customers/subject-keys.server";
import { db } from "~/utils/db.server";
import { createErasureSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";
import { storedPersonalData } from "./helpers/stored-text";
import { actorFor, requestWithSession, signInAs } from "./helpers/actors";
import { eventsSince, ledgerSize } from "./helpers/ledger";

// Issue 14, deliverables 3 and 4: erasure reaches every copy. A pg_dump taken before an erasure holds
// the subject's data only as ciphertext and their keys only wrapped under the key-encryption key of the
// day. After the erasure and one rotation of that KEK, nothing the app holds (the current database and
// the current key directory) recovers any value of the erased subject from the old dump — while every
// other customer in the same old dump is still readable with the current, re-wrapped keys.

const databaseUrl = inject("databaseUrl");
const kekDir = inject("kekDir");
const isPostgres = inject("databaseKind") === "postgresql";

const created: string[] = [];
let dpo: Actor;
let dpo2: Actor;

/** The rows of one table in a plain pg_dump, as objects of its columns (COPY text format). */
function copyRows(dump: string, table: string) {
  const header = new RegExp(`^COPY public\\.${table} \\(([^)]*)\\) FROM stdin;$`, "m").exec(dump);
  if (!header) throw new Error(`no COPY block for ${table}`);
  const columns = header[1]!.split(", ").map((column) => column.replace(/"/g, ""));
  const start = header.index + header[0].length + 1;
  const body = dump.slice(start, dump.indexOf("\n\\.\n", start));
  return body
    .split("\n")
    .filter(Boolean)
    .map((line) => Object.fromEntries(line.split("\t").map((value, index) => [columns[index]!, value === "\\N" ? null : value])) as Record<string, string | null>);
}
/** A bytea value as COPY prints it ("\\x0a1b…"). */
const bytesOf = (value: string | null) => (value ? Buffer.from(value.replace(/^\\\\x/, ""), "hex") : null);

const tryOr = <T,>(fn: () => T): T | null => {
  try {
    return fn();
  } catch {
    return null;
  }
};

function pgDump() {
  const result = spawnSync("pg_dump", ["--no-owner", "--dbname", databaseUrl], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  return result.stdout;
}

beforeAll(async () => {
  dpo = await actorFor("dpo");
  dpo2 = await requireActor(await requestWithSession(await signInAs("dpo2@attest.test")));
  await loadArtefactSigner();
});

afterAll(async () => {
  for (const customerId of created) await deleteErasureSubject(db, customerId);
});

describe.skipIf(!isPostgres)("a backup taken before an erasure", () => {
  it("holds nothing of the erased subject that the app can read after one key rotation, and stays readable for everyone else", { timeout: 240_000 }, async () => {
    const erased = await createErasureSubject(db, { tag: "Q", staffId: personas.dpo.id });
    const kept = await createErasureSubject(db, { tag: "R", staffId: personas.dpo.id, withErasureRequest: false });
    created.push(erased.ids.customer, kept.ids.customer);
    const forms = (personal: typeof erased.personal) => [personal.fullName, personal.email, personal.phone, personal.street, personal.postalCode, personal.city, personal.dateOfBirth];

    const oldDump = pgDump();
    const oldKids = keysFromDirectory(kekDir).map((kek) => kek.kid);
    // At rest the old dump holds neither person in clear, as text or as bytea's hex — review
    // justifications included (the fixture's reviewer names the customer and their phone; ADR 020) —
    // except a legacy identity-check record: staff's JSON outside the personal-data API (ADR 015).
    const atRest = oldDump
      .split("\n")
      .filter((line) => !line.includes('"checkedBy"'))
      .join("\n");
    for (const value of [...forms(erased.personal), ...forms(kept.personal)]) {
      expect(atRest.includes(value), value).toBe(false);
      expect(atRest.includes(Buffer.from(value, "utf8").toString("hex")), `${value} as hex`).toBe(false);
    }
    const oldReviews = new Map(copyRows(oldDump, "review").map((row) => [row.id!, row]));
    const oldJustification = (review: string) => bytesOf(oldReviews.get(review)!.justification ?? null)!;
    expect(isEncryptedField(oldJustification(erased.ids.review))).toBe(true);
    const oldKeys = new Map(copyRows(oldDump, "subject_data_key").map((row) => [row.subject_id!, row]));
    const oldPersonal = new Map(copyRows(oldDump, "customer_personal_data").map((row) => [row.customer_id!, row]));
    const erasedKeyRow = oldKeys.get(erased.ids.customer)!;
    expect(oldKids).toContain(erasedKeyRow.kek_id);
    expect(oldPersonal.get(erased.ids.customer)!.full_name).toMatch(/^\\\\x/);

    // The erasure, then one rotation of the key-encryption key.
    const requestId = erased.ids.requests.erasure;
    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
    await executeErasure(dpo2, requestId, { intent: "execute", confirmReference: erased.reference });
    const before = await ledgerSize();
    const rotation = await rotateKeyEncryptionKey();
    expect(rotation.startedNewKek).toBe(true);
    expect(rotation.destroyedKids.sort()).toEqual([...oldKids].sort());
    expect(rotation.rewrapped).toBeGreaterThan(1);
    expect((await eventsSince(before)).map((event) => event.action)).toEqual(oldKids.map(() => "key_encryption_key.destroyed"));

    // Everything the app holds now: the current key directory and the current database.
    const heldKeks = keysFromDirectory(kekDir);
    expect(heldKeks.map((kek) => kek.kid)).toEqual([rotation.activeKid]);
    expect(heldKeks.some((kek) => oldKids.includes(kek.kid))).toBe(false);
    const currentKeyRows = await db.subjectDataKey.findMany({ select: { subjectId: true, kekId: true } });
    expect(new Set(currentKeyRows.map((row) => row.kekId).filter(Boolean))).toEqual(new Set([rotation.activeKid]));
    const liveDataKeys = [...(await dataKeysOf(db, currentKeyRows.map((row) => row.subjectId))).values()].filter((key): key is Buffer => key !== null);
    expect(liveDataKeys.length).toBeGreaterThan(1);

    // The erased subject's wrapped keys in the old dump open under no KEK held.
    for (const purpose of ["data", "ledger"] as const) {
      const wrapped = bytesOf((purpose === "data" ? erasedKeyRow.data_key : erasedKeyRow.ledger_key) ?? null)!;
      for (const kek of heldKeks) expect(tryOr(() => unwrapKey(kek.key, erased.ids.customer, purpose, wrapped))).toBeNull();
    }
    // Their ciphertext in the old dump decrypts under no data key the app holds.
    const erasedRow = oldPersonal.get(erased.ids.customer)!;
    for (const column of ["full_name", "email", "phone", "date_of_birth", "street", "postal_code", "city"]) {
      const stored = bytesOf(erasedRow[column] ?? null)!;
      expect(stored.length, column).toBeGreaterThan(28);
      for (const key of liveDataKeys) expect(tryOr(() => decryptField(key, erased.ids.customer, stored))).toBeNull();
    }
    // So does the reviewer's justification quoting them, while the kept review in the live database
    // holds the erasure's scrubbed text, readable without any key.
    for (const key of liveDataKeys) expect(tryOr(() => decryptField(key, erased.ids.customer, oldJustification(erased.ids.review)))).toBeNull();
    const keptReview = await db.review.findUniqueOrThrow({ where: { id: erased.ids.review }, select: { justification: true } });
    expect(isEncryptedField(keptReview.justification)).toBe(false);
    expect(Buffer.from(keptReview.justification!).toString("utf8")).toBe("Spoke to [erased] on [erased]; the collection record is theirs.");
    // Their blind index in the old dump cannot be matched against a guess with the keys held now.
    const indexKeys = heldKeks.map((kek) => deriveBlindIndexKey(kek.key));
    for (const key of indexKeys) expect(blindIndex(key, "email", erased.personal.email)!.equals(bytesOf(erasedRow.email_index ?? null)!)).toBe(false);
    // The live database holds no key for them, so no restore brings their keys back either.
    expect(await db.subjectDataKey.findUniqueOrThrow({ where: { subjectId: erased.ids.customer } })).toMatchObject({ dataKey: null, ledgerKey: null });

    // Another customer in the same old dump: their ciphertext decrypts with their current, re-wrapped key.
    const keptKey = (await dataKeysOf(db, [kept.ids.customer])).get(kept.ids.customer)!;
    const keptRow = oldPersonal.get(kept.ids.customer)!;
    expect(decryptField(keptKey, kept.ids.customer, bytesOf(keptRow.full_name ?? null)!)).toBe(kept.personal.fullName);
    expect(decryptField(keptKey, kept.ids.customer, bytesOf(keptRow.email ?? null)!)).toBe(kept.personal.email);
    expect(decryptField(keptKey, kept.ids.customer, oldJustification(kept.ids.review))).toBe(`Spoke to ${kept.personal.fullName} on ${kept.personal.phone}; the collection record is theirs.`);
    // And the app itself still reads them, and finds them by e-mail under the new index key.
    expect(await storedPersonalData(kept.ids.customer)).toMatchObject({ fullName: kept.personal.fullName, city: kept.personal.city });
    const current = await db.customerPersonalData.findUniqueOrThrow({ where: { customerId: kept.ids.customer }, select: { emailIndex: true } });
    expect(Buffer.from(current.emailIndex!).equals(blindIndex(deriveBlindIndexKey(heldKeks[0]!.key), "email", kept.personal.email)!)).toBe(true);
  });
});
