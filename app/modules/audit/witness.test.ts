import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consistencyProof, hashLeaf, memoryNodeSource, rootHash } from "./merkle";
import { checkpointNoteText, ed25519PublicKeyBytes, parseSignedNote, SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519, signNote, verifierKey, verifyCosignature } from "./signed-note";
import { addCheckpoint, addCheckpointRequest, loadWitnessKey, parseAddCheckpointRequest, pollOnce, WitnessStore } from "./witness";

// The witness side of C2SP tlog-witness (add-checkpoint), held to the specification's example request
// and to every status it prescribes; and the poller's alerts on truncation and rewrite.

// c2sp.org/tlog-witness, "add-checkpoint", example request body (verbatim).
const SPEC_REQUEST = `old 20852014
PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=
5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=
/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=

example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=
`;

const ORIGIN = "attest.example/ledger";
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-witness-"));
  dirs.push(dir);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const logKey = { name: ORIGIN, privateKey, publicKey: ed25519PublicKeyBytes(publicKey) };
  const logVkey = verifierKey(ORIGIN, SIGNATURE_TYPE_ED25519, logKey.publicKey);
  const store = new WitnessStore(dir);
  const witness = loadWitnessKey(dir, "witness.example/w1");
  const leaves = Array.from({ length: 40 }, (_, i) => hashLeaf(Buffer.from(`event ${i}`)));
  const source = memoryNodeSource(leaves);
  const sign = async (size: number, sourceOf = source) => {
    const text = checkpointNoteText({ origin: ORIGIN, treeSize: size, rootHash: await rootHash(sourceOf, size) });
    return `${text}\n${signNote(text, logKey)}`;
  };
  const trusted = (origin: string) => (origin === ORIGIN ? [logVkey] : null);
  return { dir, store, witness, source, leaves, sign, trusted, logKey };
}

describe("add-checkpoint (c2sp.org/tlog-witness)", () => {
  it("parses the specification's example request", () => {
    const request = parseAddCheckpointRequest(SPEC_REQUEST);
    expect(request.oldSize).toBe(20852014);
    expect(request.proof).toHaveLength(4);
    expect(request.proof[0]!.toString("base64")).toBe("PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=");
    const note = parseSignedNote(request.note);
    expect(note.text).toBe("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n");
    expect(note.signatures.map((signature) => signature.keyName)).toEqual(["example.com/behind-the-sofa", "example.com/behind-the-sofa"]);
    expect(addCheckpointRequest(request.oldSize, request.proof, request.note)).toBe(SPEC_REQUEST);
  });

  it("answers the specification's example for an unknown origin with 404", () => {
    const { store, witness, trusted } = setup();
    expect(addCheckpoint(store, witness, trusted, SPEC_REQUEST).status).toBe(404);
  });

  it("cosigns a consistent checkpoint with a v1 cosignature the log can verify, and enforces every rule", async () => {
    const { store, witness, source, sign, trusted } = setup();
    const first = await sign(10);
    const answer = addCheckpoint(store, witness, trusted, addCheckpointRequest(0, [], first), 1_700_000_000_000);
    expect(answer.status).toBe(200);
    const [line] = parseSignedNote(`${parseSignedNote(first).text}\n${answer.body}`).signatures;
    expect(verifyCosignature(parseSignedNote(first).text, line!, verifierKey("witness.example/w1", SIGNATURE_TYPE_COSIGNATURE_V1, witness.publicKey))).toBe(1_700_000_000);
    const next = await sign(25);
    // Wrong old size: 409 with the witness's size as text/x.tlog.size.
    expect(addCheckpoint(store, witness, trusted, addCheckpointRequest(0, [], next))).toMatchObject({ status: 409, contentType: "text/x.tlog.size", body: "10\n" });
    // Old size beyond the checkpoint: 400.
    expect(addCheckpoint(store, witness, trusted, addCheckpointRequest(30, [], next)).status).toBe(400);
    // A proof that does not verify: 422, and it is logged.
    const wrong = await consistencyProof(source, 9, 25);
    expect(addCheckpoint(store, witness, trusted, addCheckpointRequest(10, wrong, next)).status).toBe(422);
    expect(fs.readFileSync(path.join(store.dir, "alerts.log"), "utf8")).toContain("INCONSISTENT");
    // Signed by a key the witness does not trust for the origin: 403.
    const stranger = generateKeyPairSync("ed25519");
    const text = parseSignedNote(next).text;
    const foreign = `${text}\n${signNote(text, { name: ORIGIN, privateKey: stranger.privateKey, publicKey: ed25519PublicKeyBytes(stranger.publicKey) })}`;
    expect(addCheckpoint(store, witness, trusted, addCheckpointRequest(10, await consistencyProof(source, 10, 25), foreign)).status).toBe(403);
    // The right proof: 200, and the store moves to 25.
    expect(addCheckpoint(store, witness, trusted, addCheckpointRequest(10, await consistencyProof(source, 10, 25), next)).status).toBe(200);
    expect(store.state(ORIGIN).latestSize).toBe(25);
    expect(fs.readdirSync(path.join(store.dir, encodeURIComponent(ORIGIN), "checkpoints"))).toEqual(["000000000010.note", "000000000025.note"]);
  });

  it("the poller alerts on a truncated and on a rewritten log", async () => {
    const { store, witness, source, leaves, sign, trusted } = setup();
    const log = (note: string, proofSource = source) => ({ latestNote: async () => note, consistencyProof: (from: number, to: number) => consistencyProof(proofSource, from, to) });
    expect((await pollOnce(store, witness, log(await sign(20)), trusted)).ok).toBe(true);
    expect((await pollOnce(store, witness, log(await sign(20)), trusted)).message).toContain("no new checkpoint");
    const truncated = await pollOnce(store, witness, log(await sign(15)), trusted);
    expect(truncated).toMatchObject({ ok: false });
    expect(truncated.message).toContain("TRUNCATED");
    // Event 5 rewritten, the tree rebuilt and re-signed with the log's own key: the proof cannot hold.
    const rewritten = memoryNodeSource(leaves.map((leaf, i) => (i === 5 ? hashLeaf(Buffer.from("rewritten")) : leaf)));
    const result = await pollOnce(store, witness, log(await sign(30, rewritten), rewritten), trusted);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("422");
    expect(store.state(ORIGIN).latestSize).toBe(20);
  });
});
