import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";

vi.hoisted(() => {
  process.env.JOB_HEARTBEAT_MS = "200";
  process.env.JOB_POLL_INTERVAL_SECONDS = "0.5";
  process.env.EVIDENCE_PACK_DIR = `${process.env.TMPDIR ?? "/tmp"}/attest-evidence-${process.pid}`;
});

import { evidencePackJob } from "~/modules/evidence/evidence.jobs.server";
import { listEvidencePacks, openEvidencePackDownload, PackScopeError, requestEvidencePack } from "~/modules/evidence/evidence-packs.server";
import type { PackScope } from "~/modules/evidence/schema";
import type { DecisionRow } from "~/modules/evidence/pack-builder.server";
import { installJobQueue } from "~/modules/jobs/install.server";
import { startJobWorkers, type JobWorkers } from "~/modules/jobs/worker.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { checkpointByNumber, createCheckpoint, latestCheckpoint } from "~/modules/audit/checkpoints.server";
import { db, isSingleSessionDatabase } from "~/utils/db.server";
import { WITHHELD_FREE_TEXT } from "~/modules/access/ability.server";
import { encryptReviewText } from "~/modules/decisions/review-text.server";
import { fixtureIds } from "../fixtures/ids";
import { actorFor, thrownResponse } from "./helpers/actors";
import { waitFor } from "../support/test-jobs";

// Evidence packs end to end on the run's database (issue 11): an auditor's request is queued and
// audited, the job builds the pack, and the downloaded zip is checked with real tools — gpg, sha256sum
// and the pack's own verify.mjs — then tampered with in each way the verifier must catch.

const work = fs.mkdtempSync(path.join(os.tmpdir(), "attest-pack-test-"));
let workers: JobWorkers;
let packDir = "";
let zipBytes: Buffer;

const seededPersonalValues = ["Astrid Lindgren-Ek", "astrid.ek@example.se", "+46 8 555 0101", "Storgatan 12", "Daan Visser", "daan.visser@example.nl", "Prinsengracht 88", "Olivia Hughes", "olivia.hughes@example.co.uk", "Marcus Reed", "marcus.reed@example.com", "500 Market St"];

const QUOTE = "Spoke to the customer Alva Quotedsson on +46 70 555 01 02";

function scopeFor(regions: string[], sample = true): PackScope {
  return {
    from: "2000-01-01",
    to: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
    regions,
    include: { decisions: true, reviews: true, contests: true, privacyRequests: true, ruleSets: true, staffChanges: true, ledger: true },
    decisionFilter: {},
    sample: sample ? { size: 3, seed: "audit-2026-q3" } : null,
  };
}

function verify(dir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ["verify.mjs", ...args], { cwd: dir, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A copy of the unzipped pack to tamper with. */
function copyPack(name: string) {
  const dir = path.join(work, name);
  fs.cpSync(packDir, dir, { recursive: true });
  return dir;
}

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/**
 * After a change, rewrites the file's hash in manifest.json and SHA256SUMS and signs the manifest again
 * with the ledger key — what an insider holding the key could do — so only the deeper checks remain.
 */
async function resealPack(dir: string, changed: string[]) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
  for (const name of changed) {
    const bytes = fs.readFileSync(path.join(dir, name));
    const entry = manifest.files.find((file: { path: string }) => file.path === name);
    entry.sha256 = sha256(bytes);
    entry.size = bytes.length;
  }
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  fs.writeFileSync(path.join(dir, "manifest.json"), text);
  fs.writeFileSync(path.join(dir, "manifest.json.asc"), await (await loadArtefactSigner()).sign(Buffer.from(text)));
  const sums = fs
    .readFileSync(path.join(dir, "SHA256SUMS"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const name = line.slice(66);
      return `${sha256(fs.readFileSync(path.join(dir, name)))}  ${name}`;
    });
  fs.writeFileSync(path.join(dir, "SHA256SUMS"), `${sums.join("\n")}\n`);
}

beforeAll(async () => {
  await installJobQueue(inject("databaseUrl"), ["evidence_pack.build"]);
  workers = await startJobWorkers([evidencePackJob] as never);
});

afterAll(async () => {
  await workers?.stop();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(process.env.EVIDENCE_PACK_DIR!, { recursive: true, force: true });
});

describe("evidence packs", () => {
  it("builds an auditor's pack through the job queue, audited from request to download", async () => {
    const auditor = await actorFor("auditor");
    // A checkpoint before the request, so the pack's own (signed when the build starts) has a predecessor.
    await loadArtefactSigner();
    await createCheckpoint();
    // A reviewer's justification quoting the customer, stored as the review workflow stores it (ADR 020).
    const quoted = await db.review.findUniqueOrThrow({ where: { id: fixtureIds.reviews.seReferral }, select: { privacyRequestId: true, decision: { select: { customerId: true } } } });
    await db.review.update({
      where: { id: fixtureIds.reviews.seReferral },
      data: { justification: await encryptReviewText(db, { customerId: quoted.decision.customerId, privacyRequestId: quoted.privacyRequestId }, QUOTE) },
    });
    const { packId, jobId } = await requestEvidencePack(auditor, scopeFor(auditor.user.regions));
    await waitFor("the pack to be built", async () => {
      const pack = await db.evidencePack.findUniqueOrThrow({ where: { id: packId } });
      if (pack.state === "failed") throw new Error(`the pack failed: ${pack.error}`);
      return pack.state === "completed";
    }, 120_000);
    const [item] = (await listEvidencePacks(auditor)).filter((pack) => pack.id === packId);
    expect(item).toMatchObject({ state: "completed", isDownloadable: true, job: { id: jobId, state: "succeeded" } });
    expect(item!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(item!.checkpoint?.treeSize).toBeGreaterThan(0);

    const first = await openEvidencePackDownload(auditor, packId);
    zipBytes = Buffer.from(await new Response(first.stream).arrayBuffer());
    const second = await openEvidencePackDownload(auditor, packId);
    const again = Buffer.from(await new Response(second.stream).arrayBuffer());
    expect(again.equals(zipBytes)).toBe(true);
    expect(sha256(zipBytes)).toBe(item!.sha256);

    const events = await db.auditEvent.findMany({ where: { subjectType: "EvidencePack", subjectId: packId }, orderBy: { seq: "asc" }, select: { action: true, actorLabel: true } });
    expect(events.map((event) => event.action)).toEqual(["evidence_pack.requested", "evidence_pack.built", "evidence_pack.downloaded", "evidence_pack.downloaded"]);
    expect(events[0]!.actorLabel).toBe(auditor.user.email);

    fs.writeFileSync(path.join(work, "pack.zip"), zipBytes);
    execFileSync("unzip", ["-q", "pack.zip", "-d", "unzipped"], { cwd: work });
    const [top] = fs.readdirSync(path.join(work, "unzipped"));
    packDir = path.join(work, "unzipped", top!);
    expect(fs.existsSync(path.join(packDir, "manifest.json"))).toBe(true);
  }, 180_000);

  it("passes its own verifier, gpg --verify and sha256sum -c", () => {
    const result = verify(packDir, "--require-gpg");
    expect(result.output).toContain("PASS");
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/sample of \d+ redrawn/);

    const home = fs.mkdtempSync(path.join(work, "gnupg-"));
    execFileSync("gpg", ["--homedir", home, "--batch", "--quiet", "--import", "keys/signing-keys.asc"], { cwd: packDir, stdio: "ignore" });
    const gpg = spawnSync("gpg", ["--homedir", home, "--batch", "--verify", "manifest.json.asc", "manifest.json"], { cwd: packDir, encoding: "utf8" });
    expect(gpg.stderr).toContain("Good signature");
    expect(gpg.status).toBe(0);
    const sums = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: packDir, encoding: "utf8" });
    expect(sums.status).toBe(0);
    expect(sums.stdout).not.toContain("FAILED");

    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ app: { name: "attest" }, requester: { role: "auditor" }, sample: { method: "attest-sample/v1", seed: "audit-2026-q3" } });
    expect(manifest.queries.decisions.sql).toContain("FROM decision d");
    expect(manifest.queries.decisions.parameters.length).toBeGreaterThan(0);
    expect(manifest.counts.decisions).toBeGreaterThan(0);
    expect(manifest.counts.events).toBeGreaterThan(0);
  });

  it("holds no unmasked personal data for an auditor", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else {
          const text = fs.readFileSync(file).toString("utf8");
          for (const value of [...seededPersonalValues, "Quotedsson"]) if (text.includes(value)) found.push(`${path.relative(packDir, file)}: ${value}`);
        }
      }
    };
    walk(packDir);
    expect(found).toEqual([]);
    // The zip itself (compressed) cannot hide them either: scan the inflated entries above, and the customers are there, masked.
    const customers = fs.readFileSync(path.join(packDir, "data/customers.jsonl"), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expect(customers.length).toBeGreaterThan(0);
    for (const customer of customers.filter((row) => !row.erased_at)) expect(customer.fullName).toBe("••••••");
    // A review's justification is withheld from the auditor, as on screen: neither text nor ciphertext.
    const reviews = fs.readFileSync(path.join(packDir, "data/reviews.jsonl"), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    expect(reviews.find((row) => row.review_id === fixtureIds.reviews.seReferral)?.justification).toBe(WITHHELD_FREE_TEXT);
    for (const row of reviews) expect([null, WITHHELD_FREE_TEXT]).toContain(row.justification);
  });

  it("lists exactly the customers of the decisions in the pack, once each, in id order", () => {
    const read = (name: string) => fs.readFileSync(path.join(packDir, name), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>);
    const decisionCustomers = new Set(read("data/decisions.jsonl").map((row) => row.customer_reference));
    const customers = read("data/customers.jsonl");
    expect(customers.map((row) => row.reference).sort()).toEqual([...decisionCustomers].sort());
    const ids = customers.map((row) => row.customer_id!);
    expect(ids).toEqual([...ids].sort());
  });

  it("renders the decisions in PostgreSQL byte for byte as the Node columns do", async () => {
    const { decisionBatchStatement, decisionColumns, packActor } = await import("~/modules/evidence/pack-builder.server");
    const { PackStage } = await import("~/modules/evidence/pack-files.server");
    const { queryRows } = await import("~/utils/db.server");
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    const auditor = await actorFor("auditor");
    const actor = packActor({ ...auditor.user, regions: manifest.requester.regions }, manifest.scope.regions, "render-check");
    const statement = decisionBatchStatement(actor, manifest.scope);
    const stage = new PackStage(path.join(work, "render-check"));
    const dataset = stage.dataset("decisions", "", decisionColumns);
    let cursor: [Date, string] | null = null;
    for (;;) {
      const n = statement.parameters.length;
      const rows: DecisionRow[] = await queryRows<DecisionRow>(statement.text(cursor ? `$${n + 1}::timestamptz` : null, cursor ? `$${n + 2}::uuid` : null), cursor ? [...statement.parameters, ...cursor] : statement.parameters);
      if (rows.length === 0) break;
      await dataset.append(rows);
      const last: DecisionRow = rows[rows.length - 1]!;
      cursor = [last.decided_at, last.id];
    }
    const [jsonl, csv] = await dataset.close();
    expect(jsonl!.rows).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(work, "render-check/decisions.jsonl"), "utf8")).toBe(fs.readFileSync(path.join(packDir, "data/decisions.jsonl"), "utf8"));
    expect(fs.readFileSync(path.join(work, "render-check/decisions.csv"), "utf8")).toBe(fs.readFileSync(path.join(packDir, "data/decisions.csv"), "utf8"));
    expect(csv!.sha256).toBe(manifest.files.find((file: { path: string }) => file.path === "data/decisions.csv").sha256);
  });

  it("fails when a data file is changed, naming it", () => {
    const dir = copyPack("changed");
    fs.appendFileSync(path.join(dir, "data/decisions.csv"), "x\n");
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toContain("FAIL: data/decisions.csv");
  });

  it("fails when a row is removed, even with SHA256SUMS and the manifest re-signed", async () => {
    const dir = copyPack("row-removed");
    const file = path.join(dir, "data/decisions.jsonl");
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    fs.writeFileSync(file, `${lines.slice(1).join("\n")}\n`);
    expect(verify(dir).output).toContain("FAIL: data/decisions.jsonl");
    await resealPack(dir, ["data/decisions.jsonl"]);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/FAIL: data\/decisions.jsonl: \d+ rows, manifest.json says \d+/);
  });

  it("fails when an inclusion proof is altered, naming the event", async () => {
    const dir = copyPack("proof");
    const file = path.join(dir, "audit/events.jsonl");
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const index = lines.findIndex((line) => (JSON.parse(line).inclusionProof as string[]).length > 0);
    const event = JSON.parse(lines[index]!);
    event.inclusionProof[0] = "0".repeat(64);
    lines[index] = JSON.stringify(event);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    await resealPack(dir, ["audit/events.jsonl"]);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toContain(`FAIL: event ${event.seq}`);
    expect(result.output).toContain("inclusion proof");
  });

  it("fails when an event's content is changed, naming the event", async () => {
    const dir = copyPack("content");
    const file = path.join(dir, "audit/events.jsonl");
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
    const index = lines.findIndex((line) => JSON.parse(line).content !== null);
    const event = JSON.parse(lines[index]!);
    event.content.action = "staff.signed_out";
    lines[index] = JSON.stringify(event);
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    await resealPack(dir, ["audit/events.jsonl"]);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toContain(`FAIL: event ${event.seq}`);
  });

  it("fails when the manifest is edited (signature and SHA256SUMS)", () => {
    const dir = copyPack("manifest");
    const file = path.join(dir, "manifest.json");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"role": "auditor"', '"role": "dpo"'));
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toContain("FAIL: manifest.json");
    // Even with SHA256SUMS fixed, gpg refuses the signature.
    const sums = fs.readFileSync(path.join(dir, "SHA256SUMS"), "utf8").replace(/^[0-9a-f]{64}(?= {2}manifest\.json$)/m, sha256(fs.readFileSync(file)));
    fs.writeFileSync(path.join(dir, "SHA256SUMS"), sums);
    const again = verify(dir);
    expect(again.status).toBe(1);
    expect(again.output).toContain("FAIL: manifest.json: gpg --verify");
  });

  it("fails when the checkpoint is replaced by another one", async () => {
    const dir = copyPack("checkpoint");
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const other = await checkpointByNumber(manifest.checkpoint.number - 1);
    expect(other).not.toBeNull();
    const { signedNoteOf } = await import("~/modules/audit/checkpoints.server");
    fs.writeFileSync(path.join(dir, "audit/checkpoint.json"), `${JSON.stringify({ ...other, signedNote: signedNoteOf(other!) }, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, "audit/checkpoint.body"), other!.body);
    fs.writeFileSync(path.join(dir, "audit/checkpoint.body.asc"), other!.signature);
    // Also point the manifest at it and re-sign: the proofs still do not lead to its root.
    manifest.checkpoint = { ...manifest.checkpoint, number: other!.number, treeSize: other!.treeSize, rootHash: other!.rootHash };
    fs.writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    await resealPack(dir, ["audit/checkpoint.json", "audit/checkpoint.body", "audit/checkpoint.body.asc"]);
    const result = verify(dir);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/FAIL: (audit\/consistency.json|event \d+)/);
  });

  it("checks a trusted checkpoint: consistent when it is a prefix, a failure when it is not", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    const earlier = await checkpointByNumber(Math.max(1, manifest.checkpoint.number - 1));
    fs.writeFileSync(path.join(work, "kept.json"), JSON.stringify(earlier));
    const good = verify(packDir, "--trusted-checkpoint", path.join(work, "kept.json"));
    expect(good.output).toContain("consistent with the trusted checkpoint");
    expect(good.status).toBe(0);
    fs.writeFileSync(path.join(work, "forked.json"), JSON.stringify({ treeSize: earlier!.treeSize, rootHash: sha256("another history") }));
    const bad = verify(packDir, "--trusted-checkpoint", path.join(work, "forked.json"));
    expect(bad.status).toBe(1);
    expect(bad.output).toContain("FAIL: --trusted-checkpoint: the pack's ledger is not consistent with the trusted checkpoint");
  });

  it("checks a kept C2SP signed note: passes when the pack extends it, fails on a signed fork and on a truncation", async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    const earlier = (await checkpointByNumber(Math.max(1, manifest.checkpoint.number - 1)))!;
    const { signedNoteOf } = await import("~/modules/audit/checkpoints.server");
    fs.writeFileSync(path.join(work, "kept.note"), signedNoteOf(earlier)!);
    const good = verify(packDir, "--trusted-checkpoint", path.join(work, "kept.note"));
    expect(good.output).toMatch(/ok {4}consistent with the trusted checkpoint \(\d+ events, root [0-9a-f]{16}…, signed by [0-9A-F]{40} \(Ed25519 note signature\)\)/);
    expect(good.status).toBe(0);

    // A fork: the ledger's own key signed another root at the same size (what a rewritten history
    // presents to whoever kept the earlier checkpoint). The signature is genuine; the pack does not extend it.
    const { loadedSigningKeys } = await import("~/modules/audit/signing-keys.server");
    const { checkpointNoteText, signNote } = await import("~/modules/audit/signed-note");
    const key = (await loadedSigningKeys()).get(earlier.keyFingerprint)!;
    const forkedText = checkpointNoteText({ origin: earlier.origin!, treeSize: earlier.treeSize, rootHash: createHash("sha256").update("another history").digest() });
    fs.writeFileSync(path.join(work, "forked.note"), `${forkedText}\n${signNote(forkedText, { name: earlier.origin!, ...key.noteKey })}`);
    const forked = verify(packDir, "--trusted-checkpoint", path.join(work, "forked.note"));
    expect(forked.status).toBe(1);
    expect(forked.output).toMatch(/FAIL: --trusted-checkpoint: the pack's ledger is not consistent with the trusted checkpoint .*: a fork/);

    // A note nobody of this ledger signed: refused before any comparison.
    const unsigned = `${checkpointNoteText({ origin: earlier.origin!, treeSize: earlier.treeSize, rootHash: Buffer.from(earlier.rootHash, "hex") })}\n— ${earlier.origin} ${Buffer.alloc(68, 7).toString("base64")}\n`;
    fs.writeFileSync(path.join(work, "forged.note"), unsigned);
    const forged = verify(packDir, "--trusted-checkpoint", path.join(work, "forged.note"));
    expect(forged.status).toBe(1);
    expect(forged.output).toContain("no signature on the note verifies with a key of keys/keys.json");

    // A truncation: the kept checkpoint covers more events than the pack's ledger holds (the downloads
    // were audited after the build, so the ledger's checkpoint now is beyond the pack's leaves).
    await createCheckpoint();
    const later = (await latestCheckpoint())!;
    expect(later.treeSize).toBeGreaterThan(manifest.latestCheckpoint.treeSize);
    fs.writeFileSync(path.join(work, "later.note"), signedNoteOf(later)!);
    const truncated = verify(packDir, "--trusted-checkpoint", path.join(work, "later.note"));
    expect(truncated.status).toBe(1);
    expect(truncated.output).toMatch(/FAIL: --trusted-checkpoint: it covers \d+ events, more than this pack's ledger \(\d+\)/);
  });

  it("refuses a region outside the requester's, and a role without packs, before writing anything", async () => {
    const compliance = await actorFor("compliance");
    const outside = ["SE", "DE", "NL", "UK", "US", "AU"].find((region) => !compliance.user.regions.includes(region));
    const before = await db.evidencePack.count();
    if (outside) {
      const error = await requestEvidencePack(compliance, scopeFor([outside])).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PackScopeError);
      expect((error as PackScopeError).field).toBe("regions");
    }
    const ops = await actorFor("opsSe");
    expect((await thrownResponse(() => requestEvidencePack(ops, scopeFor(["SE", "DE"])))).status).toBe(403);
    const invalid = await requestEvidencePack(compliance, { ...scopeFor(compliance.user.regions), to: "1999-01-01" }).catch((caught: unknown) => caught);
    expect((invalid as PackScopeError).message).toMatch(/^to must not be before from/);
    expect(await db.evidencePack.count()).toBe(before);
    await createCheckpoint();
  });

  it("reads the same customers through COPY rows as through keyset pages", async () => {
    const { customerBatches, customersOfDecisionsStatement, packActor } = await import("~/modules/evidence/pack-builder.server");
    const { openPackReader } = await import("~/modules/evidence/pack-reader.server");
    const { queryRows } = await import("~/utils/db.server");
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    const auditor = await actorFor("auditor");
    const actor = packActor({ ...auditor.user, regions: manifest.requester.regions }, manifest.scope.regions, "customers-check");
    const statement = customersOfDecisionsStatement(actor, manifest.scope);
    const viaKeyset: unknown[] = [];
    for await (const rows of customerBatches(statement, { cursor: null, query: queryRows, close: async () => {} })) viaKeyset.push(...rows);
    const reader = await openPackReader();
    const viaReader: unknown[] = [];
    try {
      for await (const rows of customerBatches(statement, reader)) viaReader.push(...rows);
    } finally {
      await reader.close();
    }
    expect(viaKeyset.length).toBeGreaterThan(1);
    expect(viaReader).toEqual(viaKeyset);
  });

  it("reads the same ledger events through COPY rows as through Prisma, and writes them the same", async () => {
    const { auditEventBatches, auditEventsStatement, auditEventWhere, packActor } = await import("~/modules/evidence/pack-builder.server");
    const { eventLeafDocuments } = await import("~/modules/audit/event-document");
    const { openPackReader } = await import("~/modules/evidence/pack-reader.server");
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    // On the embedded single-session database both ways are Prisma pages.
    if (!isSingleSessionDatabase) expect(manifest.queries.events.read).toMatch(/^COPY/);
    const auditor = await actorFor("auditor");
    const actor = packActor({ ...auditor.user, regions: manifest.requester.regions }, manifest.scope.regions, "events-check");
    const treeSize = (await latestCheckpoint())!.treeSize;
    const statement = auditEventsStatement(actor, manifest.scope, treeSize);
    expect(statement).not.toBeNull();
    const where = auditEventWhere(actor, manifest.scope, treeSize);
    const line = (row: Parameters<typeof eventLeafDocuments>[0] & { leafHash: string | null }) => JSON.stringify({ seq: Number(row.seq), leafHash: row.leafHash, ...eventLeafDocuments(row) });
    const viaPrisma: string[] = [];
    for await (const rows of auditEventBatches(where, statement, null)) viaPrisma.push(...rows.map(line));
    const reader = await openPackReader();
    const viaCopy: string[] = [];
    try {
      for await (const rows of auditEventBatches(where, statement, reader.cursor)) viaCopy.push(...rows.map(line));
    } finally {
      await reader.close();
    }
    expect(viaPrisma.length).toBeGreaterThan(10);
    expect(viaCopy).toEqual(viaPrisma);
    // The pack's own events file holds the same lines (up to its checkpoint), proofs aside.
    const packed = fs.readFileSync(path.join(packDir, "audit/events.jsonl"), "utf8").split("\n").filter(Boolean).map((text) => {
      const { inclusionProof: _proof, ...rest } = JSON.parse(text) as Record<string, unknown>;
      return JSON.stringify(rest);
    });
    expect(viaCopy.slice(0, packed.length)).toEqual(packed);
  });

  it("renders rows with floats PostgreSQL prints otherwise than ECMAScript through the Node columns, byte for byte", async () => {
    const { decisionBatchStatement, decisionColumns, packActor, writeDecisions } = await import("~/modules/evidence/pack-builder.server");
    const { PackStage } = await import("~/modules/evidence/pack-files.server");
    const { openPackReader } = await import("~/modules/evidence/pack-reader.server");
    const { queryRows } = await import("~/utils/db.server");
    const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "manifest.json"), "utf8"));
    const auditor = await actorFor("auditor");
    const actor = packActor({ ...auditor.user, regions: manifest.requester.regions }, manifest.scope.regions, "float-check");
    const [first, second] = fs.readFileSync(path.join(packDir, "data/decisions.jsonl"), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as { decision_id: string; score: number });
    const [reason] = await queryRows<{ decision_id: string; position: number; contribution: number }>(`SELECT decision_id, position, contribution FROM decision_reason WHERE decision_id = ANY($1::uuid[]) ORDER BY decision_id, position LIMIT 1`, [[first!.decision_id, second!.decision_id]]);
    await queryRows(`UPDATE decision SET score = 0.00001234 WHERE id = $1`, [first!.decision_id]);
    await queryRows(`UPDATE decision SET score = '-0'::float8 WHERE id = $1`, [second!.decision_id]);
    if (reason) await queryRows(`UPDATE decision_reason SET contribution = 1.5e-7 WHERE decision_id = $1 AND position = $2`, [reason.decision_id, reason.position]);
    try {
      // Keyset pages (as on the embedded database) and, on PostgreSQL, the server-side cursor the job uses.
      const viaSql = new PackStage(path.join(work, "floats-sql")).dataset("decisions", "", decisionColumns);
      let rows = 0;
      await writeDecisions(actor, manifest.scope, viaSql, (count) => (rows += count));
      await viaSql.close();
      const viaReader = new PackStage(path.join(work, "floats-reader")).dataset("decisions", "", decisionColumns);
      const reader = await openPackReader();
      let readerRows = 0;
      try {
        await writeDecisions(actor, manifest.scope, viaReader, (count) => (readerRows += count), reader);
      } finally {
        await reader.close();
      }
      await viaReader.close();
      expect(readerRows).toBe(rows);
      const viaNode = new PackStage(path.join(work, "floats-node")).dataset("decisions", "", decisionColumns);
      const statement = decisionBatchStatement(actor, manifest.scope);
      let cursor: [Date, string] | null = null;
      for (;;) {
        const n = statement.parameters.length;
        const batch: DecisionRow[] = await queryRows<DecisionRow>(statement.text(cursor ? `$${n + 1}::timestamptz` : null, cursor ? `$${n + 2}::uuid` : null), cursor ? [...statement.parameters, ...cursor] : statement.parameters);
        if (batch.length === 0) break;
        await viaNode.append(batch);
        const last: DecisionRow = batch[batch.length - 1]!;
        cursor = [last.decided_at, last.id];
      }
      await viaNode.close();
      expect(rows).toBeGreaterThan(1);
      const sqlText = fs.readFileSync(path.join(work, "floats-sql/decisions.jsonl"), "utf8");
      expect(sqlText).toContain('"score":0.00001234');
      expect(sqlText).toBe(fs.readFileSync(path.join(work, "floats-node/decisions.jsonl"), "utf8"));
      expect(fs.readFileSync(path.join(work, "floats-sql/decisions.csv"), "utf8")).toBe(fs.readFileSync(path.join(work, "floats-node/decisions.csv"), "utf8"));
      expect(fs.readFileSync(path.join(work, "floats-reader/decisions.jsonl"), "utf8")).toBe(sqlText);
      expect(fs.readFileSync(path.join(work, "floats-reader/decisions.csv"), "utf8")).toBe(fs.readFileSync(path.join(work, "floats-node/decisions.csv"), "utf8"));
    } finally {
      await queryRows(`UPDATE decision SET score = $2 WHERE id = $1`, [first!.decision_id, first!.score]);
      await queryRows(`UPDATE decision SET score = $2 WHERE id = $1`, [second!.decision_id, second!.score]);
      if (reason) await queryRows(`UPDATE decision_reason SET contribution = $3 WHERE decision_id = $1 AND position = $2`, [reason.decision_id, reason.position, reason.contribution]);
    }
  });

  // On the embedded single-session database the build runs in the app's process (ADR 021).
  it.skipIf(isSingleSessionDatabase)("builds in a process of its own, which is ended when the job is cancelled", async () => {
    const { runEvidencePackBuild } = await import("~/modules/evidence/pack-build-runner.server");
    const { discardPartialPack, packFilePath } = await import("~/modules/evidence/pack-builder.server");
    const auditor = await actorFor("auditor");
    const scope = scopeFor(auditor.user.regions, false);
    const pack = await db.evidencePack.create({ data: { requestedById: auditor.user.id, scope: scope as never, regionCodes: scope.regions, state: "running" } });
    const input = {
      packId: pack.id,
      jobId: pack.id,
      scope,
      createdAt: pack.createdAt,
      requester: { id: auditor.user.id, email: auditor.user.email, displayName: auditor.user.displayName, role: auditor.user.role, regions: [...auditor.user.regions].sort() },
    };
    try {
      let pid = 0;
      let peakRssKiB = 0;
      const stages: string[] = [];
      const built = await runEvidencePackBuild(input, { throwIfCancelled() {}, report: (_done, _total, message) => stages.push(message) }, new AbortController().signal, {
        onStart: (id) => (pid = id),
        onPeakRss: (kib) => (peakRssKiB = kib),
      });
      expect(pid).toBeGreaterThan(0);
      expect(pid).not.toBe(process.pid);
      expect(peakRssKiB).toBeGreaterThan(0);
      expect(stages).toContain("ledger events and proofs");
      expect(fs.statSync(packFilePath(built.storageKey)).size).toBe(built.sizeBytes);
      fs.rmSync(packFilePath(built.storageKey));

      // Cancelled at its first progress report: the process is ended and the abort reason is thrown.
      const controller = new AbortController();
      let cancelledPid = 0;
      const cancelled = runEvidencePackBuild(input, { throwIfCancelled: () => controller.signal.throwIfAborted(), report: () => controller.abort(new Error("cancelled by the test")) }, controller.signal, {
        onStart: (id) => (cancelledPid = id),
      });
      await expect(cancelled).rejects.toThrow("cancelled by the test");
      expect(() => process.kill(cancelledPid, 0)).toThrow();
      expect(fs.existsSync(packFilePath(`${pack.id}.zip`))).toBe(false);
    } finally {
      discardPartialPack(pack.id);
      await db.evidencePack.delete({ where: { id: pack.id } });
    }
  }, 120_000);
});
