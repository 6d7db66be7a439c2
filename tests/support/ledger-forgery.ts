import { randomUUID } from "node:crypto";
import type pg from "pg";
import * as openpgp from "openpgp";
import { CHECKPOINT_FORMAT, checkpointBody, checkpointBodySha256, checkpointStatementNoteText } from "~/modules/audit/checkpoint-statement";
import { KEY_TRANSITION_FORMAT, keyTransitionBody } from "~/modules/audit/key-trust";
import { CompactRange } from "~/modules/audit/merkle";
import { ed25519KeyMaterial, generateSigningKey, signDetached } from "~/modules/audit/openpgp";
import { ed25519PrivateKeyObject, signNote } from "~/modules/audit/signed-note";

// What an attacker with the database (and, in some cases, keys of their own) does to the ledger in
// the tamper tests: generate keys, compute roots from the stored leaves, sign and re-sign checkpoints.
// Every helper works on an open client, inside the caller's transaction.

export interface ForgerKey {
  fingerprint: string;
  privateKey: openpgp.PrivateKey;
  armoredPublicKey: string;
  noteKey: { publicKey: Buffer; privateKey: ReturnType<typeof ed25519PrivateKeyObject> };
}

export async function forgerKey(armored?: string): Promise<ForgerKey> {
  const privateKey = await openpgp.readPrivateKey({ armoredKey: armored ?? (await generateSigningKey("attacker")) });
  const material = ed25519KeyMaterial(privateKey);
  return {
    fingerprint: privateKey.getFingerprint().toUpperCase(),
    privateKey,
    armoredPublicKey: privateKey.toPublic().armor(),
    noteKey: { publicKey: material.publicKey, privateKey: ed25519PrivateKeyObject(material.seed!, material.publicKey) },
  };
}

/** The RFC 6962 root of the first `size` stored leaves. */
export async function storedRoot(client: pg.ClientBase, size: number) {
  const range = new CompactRange();
  const { rows } = await client.query<{ leaf_hash: Buffer }>("SELECT leaf_hash FROM audit_event WHERE seq <= $1 ORDER BY seq", [size]);
  for (const row of rows) range.push(row.leaf_hash);
  return range.root();
}

export async function ledgerOriginOf(client: pg.ClientBase) {
  const { rows } = await client.query<{ body: string }>("SELECT body FROM checkpoint ORDER BY number DESC LIMIT 1");
  return rows[0] ? (JSON.parse(rows[0].body) as { origin: string }).origin : "attest.invalid/ledger";
}

/** A complete v2 checkpoint row for `size` events after `previous`, signed by `key`. */
export async function signedCheckpointRow(client: pg.ClientBase, key: ForgerKey, keyId: string, size: number, previous: { number: number; body: string } | null, createdAt: Date) {
  const root = await storedRoot(client, size);
  const statement = {
    format: CHECKPOINT_FORMAT,
    origin: await ledgerOriginOf(client),
    number: previous ? previous.number + 1 : 1,
    treeSize: size,
    rootHash: root.toString("hex"),
    timestamp: createdAt.toISOString(),
    keyFingerprint: key.fingerprint,
    previousNumber: previous?.number ?? null,
    previousBodySha256: previous ? checkpointBodySha256(previous.body) : null,
  } as const;
  const body = checkpointBody(statement);
  const note = checkpointStatementNoteText(statement);
  return {
    number: statement.number,
    treeSize: size,
    root,
    createdAt,
    keyId,
    body,
    signature: await signDetached(key.privateKey, body),
    note,
    noteSignature: signNote(note, { name: statement.origin, ...key.noteKey }),
  };
}

export async function insertCheckpointRow(client: pg.ClientBase, row: Awaited<ReturnType<typeof signedCheckpointRow>>) {
  await client.query(
    "INSERT INTO checkpoint (number, tree_size, root_hash, created_at, signing_key_id, body, signature, note, note_signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [row.number, row.treeSize, row.root, row.createdAt, row.keyId, row.body, row.signature, row.note, row.noteSignature],
  );
}

/** Inserts a key row as an attacker would (active from `activatedAt`); returns its id. */
export async function insertKeyRow(client: pg.ClientBase, key: ForgerKey, activatedAt: Date | null, transition: { body: string; signature: string } | null = null) {
  const id = randomUUID();
  await client.query(
    "INSERT INTO signing_key (id, fingerprint, algorithm, armored_public_key, created_at, activated_at, transition_body, transition_signature) VALUES ($1, $2, 'EdDSA (Ed25519), OpenPGP v4', $3, $4, $5, $6, $7)",
    [id, key.fingerprint, key.armoredPublicKey, activatedAt ?? new Date(), activatedAt, transition?.body ?? null, transition?.signature ?? null],
  );
  return id;
}

/** Re-signs every stored checkpoint, in order, with `key` (row `keyId`): the whole history rewritten. */
export async function resignAllCheckpoints(client: pg.ClientBase, key: ForgerKey, keyId: string) {
  const { rows } = await client.query<{ id: string; tree_size: string; created_at: Date }>("SELECT id::text, tree_size::text, created_at FROM checkpoint ORDER BY checkpoint.number");
  let previous: { number: number; body: string } | null = null;
  for (const row of rows) {
    const forged: Awaited<ReturnType<typeof signedCheckpointRow>> = await signedCheckpointRow(client, key, keyId, Number(row.tree_size), previous, row.created_at);
    await client.query("UPDATE checkpoint SET signing_key_id = $2, body = $3, signature = $4, note = $5, note_signature = $6 WHERE id = $1", [
      row.id,
      keyId,
      forged.body,
      forged.signature,
      forged.note,
      forged.noteSignature,
    ]);
    previous = { number: forged.number, body: forged.body };
  }
}

/** A key-transition statement from `from` to `to`, signed by `from`. */
export async function transitionStatement(client: pg.ClientBase, from: ForgerKey, to: ForgerKey, effectiveAt: Date) {
  const body = keyTransitionBody({ format: KEY_TRANSITION_FORMAT, origin: await ledgerOriginOf(client), fromFingerprint: from.fingerprint, toFingerprint: to.fingerprint, effectiveAt: effectiveAt.toISOString() });
  return { body, signature: await signDetached(from.privateKey, body) };
}
