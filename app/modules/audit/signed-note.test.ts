import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as openpgp from "openpgp";
import { checkpointBody, checkpointBodySha256, checkpointStatementNoteText, parseCheckpointBody, type CheckpointStatement } from "./checkpoint-statement";
import { ed25519KeyMaterial, generateSigningKey } from "./openpgp";
import {
  checkpointNoteText,
  cosignatureMessage,
  ed25519PrivateKeyObject,
  ed25519PublicKeyBytes,
  parseCheckpointNoteText,
  parseSignedNote,
  parseVerifierKey,
  signCosignature,
  signNote,
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  verifierKey,
  verifyCosignature,
  verifyNote,
} from "./signed-note";

// C2SP signed notes, checkpoints and cosignatures, held to the specifications' own examples
// (c2sp.org/signed-note "Example", c2sp.org/tlog-checkpoint) so that existing witnesses and
// verifiers understand what Attest publishes.

const SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

function freshNoteKey(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { name, privateKey, publicKey: ed25519PublicKeyBytes(publicKey) };
}

describe("signed notes (c2sp.org/signed-note)", () => {
  it("verifies the specification's example note with its example verifier key", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(key).toMatchObject({ name: "example.com/foo", keyId: "530d903a", type: SIGNATURE_TYPE_ED25519 });
    expect(verifyNote(SPEC_NOTE, key)).toBe(true);
    expect(parseSignedNote(SPEC_NOTE).text).toBe("This is an example message.\n");
    // One changed byte of text, or the same key under another name, no longer verifies.
    expect(verifyNote(SPEC_NOTE.replace("example message", "example massage"), key)).toBe(false);
    expect(verifyNote(SPEC_NOTE, verifierKey("example.com/bar", SIGNATURE_TYPE_ED25519, key.publicKey))).toBe(false);
  });

  it("computes the example's key ID from name, type and key, and refuses a vkey whose ID does not match", () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(verifierKey(key.name, SIGNATURE_TYPE_ED25519, key.publicKey).text).toBe(SPEC_VKEY);
    expect(() => parseVerifierKey(SPEC_VKEY.replace("530d903a", "530d903b"))).toThrow(/does not match/);
    expect(() => parseVerifierKey("example.com/foo+530d903a")).toThrow(/is not/);
    // Base64 key material may itself contain '+': only the first two separate the parts.
    const withPlus = verifierKey("example.com/plus", 0x01, Buffer.alloc(32, 0xfb));
    expect(withPlus.text.split("+").length).toBeGreaterThan(3);
    expect(parseVerifierKey(withPlus.text)).toMatchObject({ name: "example.com/plus", keyId: withPlus.keyId });
    expect(() => verifierKey("has space", SIGNATURE_TYPE_ED25519, key.publicKey)).toThrow(/not a valid note key name/);
  });

  it("signs notes that verify, with the signature line layout of the specification", () => {
    const key = freshNoteKey("attest.example/ledger");
    const text = "attest.example/ledger\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    const line = signNote(text, key);
    expect(line).toMatch(/^— attest\.example\/ledger [A-Za-z0-9+/]{91}=\n$/);
    const vkey = verifierKey(key.name, SIGNATURE_TYPE_ED25519, key.publicKey);
    expect(verifyNote(`${text}\n${line}`, vkey)).toBe(true);
    expect(verifyNote(`${text}\n${line}`, parseVerifierKey(vkey.text))).toBe(true);
    expect(() => signNote("no final newline", key)).toThrow(/ends with a newline/);
    expect(() => signNote("tab\there\n", key)).toThrow(/control characters/);
  });

  it("reuses an OpenPGP Ed25519 key's material, so one fingerprint pins both signatures", async () => {
    const armored = await generateSigningKey("note test");
    const privateKey = await openpgp.readPrivateKey({ armoredKey: armored });
    const material = ed25519KeyMaterial(privateKey);
    const publicMaterial = ed25519KeyMaterial(await openpgp.readKey({ armoredKey: privateKey.toPublic().armor() }));
    expect(publicMaterial.publicKey).toEqual(material.publicKey);
    expect(publicMaterial.seed).toBeNull();
    const key = { name: "attest.invalid/ledger", privateKey: ed25519PrivateKeyObject(material.seed!, material.publicKey), publicKey: material.publicKey };
    const text = "attest.invalid/ledger\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    expect(verifyNote(`${text}\n${signNote(text, key)}`, verifierKey(key.name, SIGNATURE_TYPE_ED25519, publicMaterial.publicKey))).toBe(true);
  });
});

describe("checkpoints (c2sp.org/tlog-checkpoint)", () => {
  it("writes and reads the specification's example checkpoint text", () => {
    const example = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    const parsed = parseCheckpointNoteText(example);
    expect(parsed).toMatchObject({ origin: "example.com/behind-the-sofa", treeSize: 20852163, extensions: [] });
    expect(checkpointNoteText(parsed)).toBe(example);
    expect(() => parseCheckpointNoteText("example.com/x\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")).toThrow(/tree size/);
    expect(() => parseCheckpointNoteText("example.com/x\n12\nshort=\n")).toThrow(/root hash/);
  });

  it("signs a v2 statement that chains to its predecessor, and its note says the same tree head", () => {
    const first: CheckpointStatement = {
      format: "attest-checkpoint/v2",
      origin: "attest.example/ledger",
      number: 1,
      treeSize: 20852163,
      rootHash: Buffer.from("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "base64").toString("hex"),
      timestamp: "2026-12-01T10:00:00.000Z",
      keyFingerprint: "ABCD",
      previousNumber: null,
      previousBodySha256: null,
    };
    const body = checkpointBody(first);
    expect(body.startsWith('{"format":"attest-checkpoint/v2","keyFingerprint":"ABCD","number":1,"origin":"attest.example/ledger","previousBodySha256":null')).toBe(true);
    expect(checkpointStatementNoteText(first)).toBe("attest.example/ledger\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    const second = { ...first, number: 2, treeSize: 20852170, previousNumber: 1, previousBodySha256: checkpointBodySha256(body) };
    expect(parseCheckpointBody(checkpointBody(second))).toEqual({ statement: second });
    expect(parseCheckpointBody(body.replace('"number":1', '"number":1 '))).toEqual({ error: "the signed statement is not in canonical form" });
    expect(parseCheckpointBody(checkpointBody({ ...second, previousBodySha256: null }))).toHaveProperty("error");
    expect(parseCheckpointBody('{"format":"attest-checkpoint/v1","keyFingerprint":"AB","rootHash":"' + "0".repeat(64) + '","timestamp":"t","treeSize":3}')).toHaveProperty("statement.format", "attest-checkpoint/v1");
  });
});

describe("cosignatures (c2sp.org/tlog-cosignature, Ed25519)", () => {
  it("signs the cosignature/v1 message with a timestamp, and verifies only with the witness's type 0x04 key", () => {
    const witness = freshNoteKey("witness.example/w1");
    const text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    expect(cosignatureMessage(text, 1679315147)).toBe("cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    const line = signCosignature(text, witness, 1679315147);
    const [signature] = parseSignedNote(`${text}\n${line}`).signatures;
    const key = verifierKey(witness.name, SIGNATURE_TYPE_COSIGNATURE_V1, witness.publicKey);
    expect(signature!.keyId).toBe(key.keyId);
    expect(verifyCosignature(text, signature!, key)).toBe(1679315147);
    expect(verifyCosignature(text.replace("20852163", "20852164"), signature!, key)).toBeNull();
    // The same key as a plain note key (type 0x01) has another key ID: the line is not its signature.
    expect(verifyCosignature(text, signature!, verifierKey(witness.name, SIGNATURE_TYPE_ED25519, witness.publicKey))).toBeNull();
  });
});
