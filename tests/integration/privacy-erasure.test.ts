import crypto from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { openSealed, SubjectKeyDestroyedError, isSealedPersonalData } from "~/modules/audit/subject-keys.server";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { AccessExportRefusedError, downloadPrivacyArtefact, generateAccessExport } from "~/modules/privacy/access-export.server";
import { claimReview, decideReview, escalateReview } from "~/modules/decisions/review.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { isEncryptedField } from "~/modules/customers/field-crypto";
import { ErasureRefusedError, decideErasureApproval, executeErasure, getErasurePage, requestErasureApproval } from "~/modules/privacy/erasure.server";
import { actOnPrivacyRequest, createPrivacyRequest } from "~/modules/privacy/privacy-requests.server";
import type { PrivacyRequestAction } from "~/modules/privacy/schema";
import type { ErasurePlan } from "~/modules/privacy/erasure-plan";
import { runRetentionSweep } from "~/modules/privacy/retention.server";
import { writePersonalData } from "~/modules/customers/personal-data.server";
import { encryptRequestText, requesterEmailIndex } from "~/modules/customers/subject-text.server";
import { storedNoteBodies, storedRequestText } from "./helpers/stored-text";
import { db, type Tx } from "~/utils/db.server";
import { createErasureSubject as createSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { staffIdFor } from "../fixtures/ids";
import { personas } from "../fixtures/staff";
import { databaseEnv, runNodeScript } from "../support/test-database";
import { actorFor, createTestStaff, requestWithSession, signInAs, thrownResponse } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize, sealedOf, serialized } from "./helpers/ledger";

// Issue 5, parts 3 and 4: the signed access export, verified with real gpg and sha256sum; the erasure
// plan for a subject with records in several retention states; four-eyes; execution leaving no trace of
// the erased personal data in a pg_dump of the whole database while the ledger still verifies; and the
// retention sweep erasing expired retained records only.

const databaseUrl = inject("databaseUrl");
const isPostgres = inject("databaseKind") === "postgresql";

const dpo2Id = staffIdFor("dpo2@attest.test");
const createdCustomers: string[] = [];

async function createErasureSubject(...args: Parameters<typeof createSubject>) {
  const created = await createSubject(...args);
  createdCustomers.push(created.ids.customer);
  return created;
}
let dpo: Actor;
let dpo2: Actor;
let compliance: Actor;
let auditor: Actor;

beforeAll(async () => {
  dpo = await actorFor("dpo");
  dpo2 = await requireActor(await requestWithSession(await signInAs("dpo2@attest.test")));
  compliance = await actorFor("compliance");
  auditor = await actorFor("auditor");
  // The first artefact signed on a fresh ledger activates its key (an event of its own).
  await loadArtefactSigner();
});

afterAll(async () => {
  // Other files count the common fixtures (privacy requests, decisions): leave only those behind.
  for (const customerId of createdCustomers) await deleteErasureSubject(db, customerId);
});

function tempDir(label: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `attest-${label}-`));
  fs.chmodSync(dir, 0o700);
  return dir;
}

function gpgIn(home: string) {
  return (...args: string[]) => spawnSync("gpg", ["--homedir", home, "--batch", "--status-fd", "1", ...args], { encoding: "utf8" });
}

function pgDump() {
  const result = spawnSync("pg_dump", ["--no-owner", "--dbname", databaseUrl], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  return result.stdout;
}

/** One step on a privacy request through the workflow service, at the request's current version. */
async function act(actor: Actor, requestId: string, input: Record<string, unknown> & { intent: PrivacyRequestAction["intent"] }) {
  const { version } = await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId }, select: { version: true } });
  return actOnPrivacyRequest(actor, requestId, { ...input, version } as PrivacyRequestAction);
}

/** Every form the subject's personal data was stored in (dates as PostgreSQL prints a date column). */
function storedForms(personal: ReturnType<typeof import("../fixtures/erasure-subject").erasureSubjectPersonalData>) {
  return {
    name: personal.fullName,
    email: personal.email,
    phone: personal.phone,
    street: personal.street,
    postalCode: personal.postalCode,
    city: personal.city,
    dateOfBirth: personal.dateOfBirth,
  };
}

describe("the access export", () => {
  it("is a signed zip that gpg and sha256sum -c verify, explaining every automated decision", async () => {
    const subject = await createErasureSubject(db, { tag: "E", staffId: personas.dpo.id });
    const before = await ledgerSize();
    const artefact = await generateAccessExport(dpo, subject.ids.requests.access);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["privacy_request.access_export_generated"]);
    expect(events[0]).toMatchObject({ actorId: personas.dpo.id, subjectType: "PrivacyRequest", subjectId: subject.ids.requests.access, regionCode: "US" });
    expect(changesOf(events[0]!)).toMatchObject({ artefactId: artefact.id, sha256: artefact.sha256 });

    const downloadedBefore = await ledgerSize();
    const file = await downloadPrivacyArtefact(dpo, subject.ids.requests.access, artefact.id, "file");
    const signature = await downloadPrivacyArtefact(dpo, subject.ids.requests.access, artefact.id, "signature");
    expect((await eventsSince(downloadedBefore)).map((event) => event.action)).toEqual(["privacy_artefact.downloaded", "privacy_artefact.downloaded"]);

    const dir = tempDir("export");
    try {
      fs.writeFileSync(path.join(dir, file.fileName), file.body);
      fs.writeFileSync(path.join(dir, signature.fileName), signature.body);
      expect(spawnSync("unzip", ["-q", file.fileName], { cwd: dir }).status).toBe(0);
      const folder = path.join(dir, file.fileName.replace(/\.zip$/, ""));
      const gpg = gpgIn(dir);
      expect(gpg("--import", path.join(folder, "public-key.asc")).status).toBe(0);
      const manifestCheck = gpg("--verify", path.join(folder, "manifest.json.asc"), path.join(folder, "manifest.json"));
      expect(manifestCheck.status, manifestCheck.stderr).toBe(0);
      expect(manifestCheck.stdout).toContain("VALIDSIG");
      const zipCheck = gpg("--verify", path.join(dir, signature.fileName), path.join(dir, file.fileName));
      expect(zipCheck.status, zipCheck.stderr).toBe(0);
      const sums = spawnSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: folder, encoding: "utf8" });
      expect(sums.status, sums.stdout + sums.stderr).toBe(0);
      expect(sums.stdout).toContain("data/decisions.json: OK");

      const manifest = JSON.parse(fs.readFileSync(path.join(folder, "manifest.json"), "utf8")) as { files: { path: string; sha256: string }[] };
      expect(manifest.files.map((entry) => entry.path)).toEqual(expect.arrayContaining(["data/subject.json", "data/decisions.csv", "data/reviews.json", "data/privacy-requests.csv", "SHA256SUMS", "VERIFY.md"]));
      const subjectFile = JSON.parse(fs.readFileSync(path.join(folder, "data/subject.json"), "utf8")) as { personalData: Record<string, unknown> };
      expect(subjectFile.personalData).toMatchObject({ fullName: subject.personal.fullName, email: subject.personal.email, dateOfBirth: subject.personal.dateOfBirth });

      type ExportedDecision = {
        externalId: string;
        kind: string;
        outcome: string;
        model: unknown;
        logic: string;
        features: unknown;
        mainFactors: { position: number; code: string; effect: string; direction: string; explanation: string; basedOn: unknown[] }[];
      };
      const decisions = JSON.parse(fs.readFileSync(path.join(folder, "data/decisions.json"), "utf8")) as ExportedDecision[];
      expect(decisions).toHaveLength(4);
      const contested = decisions.find((decision) => String(decision.externalId).includes("CONTESTED"))!;
      expect(contested.model).toEqual({ name: "credit-gbm", version: "2026.1" });
      expect(contested.logic).toMatch(/score between 0 and 1[\s\S]*Your score was 0\.310/);
      // Issue 14: an adverse reason (positive contribution, docs/ingestion.md) lowered the score; a higher
      // score means a lower risk. The wording follows the reason's direction.
      expect(contested.mainFactors[0]).toMatchObject({ position: 1, code: "CH01", direction: "lowered_score", effect: "counted against you: it lowered your score (weight 0.600)" });
      expect(contested.mainFactors[1]).toMatchObject({ position: 2, code: "EX01", direction: "lowered_score", effect: "counted against you: it lowered your score (weight 0.400)" });
      for (const factor of contested.mainFactors) expect(factor.effect).not.toMatch(/raised/);
      expect(contested.mainFactors[0]!.explanation).toMatch(/serious payment problem/);
      expect(contested.mainFactors[0]!.basedOn).toEqual(expect.arrayContaining([expect.objectContaining({ feature: "bureauScore", value: 580 })]));
      // Fraud signals are not disclosed (tipping-off); the outcome is.
      const fraud = decisions.find((decision) => decision.kind === "fraud")!;
      expect(fraud.outcome).toBe("fraud_hold");
      expect(fraud.features).toBeNull();
      expect(JSON.stringify(fraud)).not.toContain("FR01");

      // When their data was consulted, and by which role — never by whom.
      const accessLog = fs.readFileSync(path.join(folder, "data/access-log.csv"), "utf8");
      expect(accessLog).toContain("Unmasked personal data of a customer was shown to a staff member");
      expect(accessLog).not.toContain("@attest.test");

      // A changed file no longer passes.
      fs.appendFileSync(path.join(folder, "data/decisions.csv"), "tampered\n");
      expect(spawnSync("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: folder }).status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is refused to roles without the export permission and for requests it does not answer", async () => {
    const subject = await createErasureSubject(db, { tag: "F", staffId: personas.dpo.id });
    const swedishDpo = await createTestStaff("dpo", ["SE"], "dpo-se");
    const dpoSe = await requireActor(await requestWithSession(await signInAs(swedishDpo.email)));
    const before = await ledgerSize();
    const refused = await thrownResponse(() => generateAccessExport(auditor, subject.ids.requests.access));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ missingPermission: "export PrivacyRequest" });
    await expect(generateAccessExport(dpo, subject.ids.requests.erasure)).rejects.toThrow(AccessExportRefusedError);
    // A DPO for Sweden only cannot reach a US customer by typing the URL.
    const outsideRegion = await thrownResponse(() => generateAccessExport(dpoSe, subject.ids.requests.access));
    // Outside the DPO's regions the request answers like a missing one (issue 13: no region oracle).
    expect(await outsideRegion.json()).toEqual({ kind: "not_found", message: "That privacy request was not found." });
    expect(await (await thrownResponse(() => getErasurePage(dpoSe, subject.ids.requests.erasure))).json()).toEqual({ kind: "not_found", message: "That privacy request was not found." });
    expect((await thrownResponse(() => requestErasureApproval(dpoSe, subject.ids.requests.erasure, { intent: "request_approval", justification: "Trying from the wrong region" }))).status).toBe(404);
    expect(await ledgerSize()).toBe(before);
    expect(await db.privacyArtefact.count({ where: { request: { customerId: subject.ids.customer } } })).toBe(0);
  });
});

describe("the access export that answers the request", () => {
  it("completes the request in the same transaction, with one event", async () => {
    const subject = await createErasureSubject(db, { tag: "J", staffId: personas.dpo.id });
    const before = await ledgerSize();
    await generateAccessExport(dpo, subject.ids.requests.access, { complete: true });
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["privacy_request.access_export_generated"]);
    expect(changesOf(events[0]!)).toMatchObject({ before: { state: "in_progress" }, after: { state: "completed" } });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: subject.ids.requests.access } })).toMatchObject({ state: "completed", completedById: personas.dpo.id });
    await expect(generateAccessExport(dpo, subject.ids.requests.access)).rejects.toThrow(/already completed/);
  });
});

describe("erasure", () => {
  let subject: Awaited<ReturnType<typeof createErasureSubject>>;
  let dumpBefore: string;
  const now = new Date();

  let workedReview: string;
  let ledgerBeforeText: number;
  let ledgerAfterText: number;

  beforeAll(async () => {
    subject = await createErasureSubject(db, { tag: "G", staffId: personas.dpo.id, now });
    await generateAccessExport(dpo, subject.ids.requests.access);
    // Staff write about the subject through the services, in words bound for the ledger: a reviewer's
    // escalation and justification, a DPO's note, refusal and its rejection, naming the person.
    const p = subject.personal;
    ledgerBeforeText = await ledgerSize();
    const review = await db.review.create({
      data: { decisionId: subject.ids.decisions.contestedDecline, regionCode: "US", trigger: "referral", priority: 50, openedAt: now, dueAt: new Date(now.getTime() + 86_400_000) },
    });
    workedReview = review.id;
    await claimReview(compliance, { reviewId: review.id, version: 1 });
    await escalateReview(compliance, { reviewId: review.id, version: 2, reason: `Caller ${p.email} disputes the referral` });
    await decideReview(compliance, { reviewId: review.id, version: 3, verdict: "upheld", reason: "history_explained", justification: `Called ${p.fullName} on ${p.phone}; the delinquency is theirs.` });
    // Stored under the customer's data key, never in clear (ADR 020).
    expect(isEncryptedField((await db.review.findUniqueOrThrow({ where: { id: review.id }, select: { justification: true } })).justification)).toBe(true);
    const accessId = subject.ids.requests.access;
    await act(dpo, accessId, { intent: "note", body: `Letter returned from ${p.street}, ${p.postalCode} ${p.city}.` });
    await act(dpo, accessId, { intent: "proposeRefusal", reason: `Manifestly unfounded: ${p.fullName} already had everything at ${p.email}` });
    await act(dpo2, accessId, { intent: "rejectRefusal", reason: `Answer it: ${p.fullName} moved to ${p.postalCode} ${p.city}, phone ${p.phone}` });
    ledgerAfterText = await ledgerSize();
    if (isPostgres) dumpBefore = pgDump();
  });

  it("seals what staff wrote about the subject under the subject's key: nothing of it is in clear in the ledger", async () => {
    const events = (await eventsSince(ledgerBeforeText)).filter((event) => Number(event.seq) <= ledgerAfterText);
    expect(events.map((event) => event.action)).toEqual([
      "review.claimed",
      "review.escalated",
      "review.decided",
      "privacy_request.note_added",
      "privacy_request.refusal_proposed",
      "privacy_request.refusal_rejected",
    ]);
    for (const event of events) {
      expect(event.justification).toBeNull();
      for (const value of Object.values(storedForms(subject.personal))) expect(serialized(event)).not.toContain(value);
    }
    const byAction = Object.fromEntries(events.map((event) => [event.action, event]));
    expect(changesOf(byAction["review.decided"]!).sealedFields).toEqual(["justification"]);
    expect(await sealedOf(byAction["review.decided"]!)).toEqual({ justification: expect.stringContaining(subject.personal.phone) });
    expect(await sealedOf(byAction["review.escalated"]!)).toEqual({ justification: expect.stringContaining(subject.personal.email) });
    expect(await sealedOf(byAction["privacy_request.refusal_rejected"]!)).toEqual({
      justification: expect.stringContaining(subject.personal.city),
      withdrawnRefusalReason: expect.stringContaining(subject.personal.email),
    });
    for (const event of events) if (event.action !== "review.claimed" && event.action !== "privacy_request.note_added") expect((changesOf(event).personal as { kid?: string }).kid).toBe(subject.ids.customer);
  });

  it("plans per category from the subject's actual records: erased now, kept with basis and date", async () => {
    const page = await getErasurePage(dpo, subject.ids.requests.erasure, now);
    const plan = page.plan!;
    const byCategory = Object.fromEntries(plan.categories.map((category) => [category.category, category]));
    expect(byCategory.personal_data!.eraseNow.map((item) => item.type).sort()).toEqual(["access_export", "ledger_key", "personal_data", "requester_contact", "requester_contact", "requester_contact"]);
    expect(byCategory.credit_decisions!.eraseNow.map((record) => record.id)).toEqual([subject.ids.decisions.oldDecline]);
    const creditKept = byCategory.credit_decisions!.kept;
    expect(creditKept.flatMap((group) => group.records.map((record) => record.id)).sort()).toEqual([subject.ids.decisions.contestedDecline, subject.ids.decisions.recentApproval].sort());
    expect(creditKept.find((group) => group.records[0]!.id === subject.ids.decisions.contestedDecline)!.basis).toContain("12 CFR 1002.12");
    expect(creditKept.find((group) => group.records[0]!.id === subject.ids.decisions.recentApproval)!.basis).toMatch(/^Kept while its repayment records are kept/);
    expect(byCategory.fraud_aml_records!.kept[0]!.records.map((record) => record.id)).toEqual([subject.ids.decisions.fraudHold]);
    expect(byCategory.fraud_aml_records!.kept[0]!.basis).toContain("31 CFR 1010.430");
    expect(byCategory.repayment_records!.kept[0]!.records.map((record) => record.id)).toEqual([subject.ids.repayment]);
    expect(byCategory.reviews_and_contests!.kept.flatMap((group) => group.records.map((record) => record.id)).sort()).toEqual([subject.ids.review, workedReview].sort());
    expect(byCategory.privacy_request_records!.eraseNow.map((record) => record.id)).toEqual([subject.ids.requests.oldAccess]);
    expect(byCategory.privacy_request_records!.kept[0]!.records.map((record) => record.id)).toEqual([subject.ids.requests.access]);
    // Dates follow the records: a kept item's date is after today, and differs by record.
    const dates = plan.categories.flatMap((category) => category.kept.map((group) => group.retainUntil));
    expect(new Set(dates).size).toBeGreaterThanOrEqual(3);
    for (const date of dates) expect(new Date(date!).getTime()).toBeGreaterThan(now.getTime());
    expect(page.permissions).toMatchObject({ canPropose: true, canDecide: false, canExecute: false });
  });

  it("needs a second person: the proposer can neither approve nor execute, and nothing runs before approval", async () => {
    const requestId = subject.ids.requests.erasure;
    const before = await ledgerSize();
    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." }, now);
    const proposed = await eventsSince(before);
    expect(proposed.map((event) => event.action)).toEqual(["privacy_request.erasure_approval_requested"]);
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "awaiting_approval", pendingAction: "erasure_execution", approvalRequestedById: personas.dpo.id });

    const afterProposal = await ledgerSize();
    const selfApproval = await thrownResponse(() => decideErasureApproval(dpo, requestId, { intent: "approve", justification: "Looks right to me" }, now));
    expect(selfApproval.status).toBe(403);
    expect(await selfApproval.json()).toMatchObject({ missingPermission: expect.stringContaining("a second person must decide an erasure you proposed") });
    const selfExecution = await thrownResponse(() => executeErasure(dpo, requestId, { intent: "execute", confirmReference: subject.reference }, now));
    expect(selfExecution.status).toBe(403);
    const complianceApproval = await thrownResponse(() => decideErasureApproval(compliance, requestId, { intent: "approve", justification: "Looks right to me" }, now));
    expect(complianceApproval.status).toBe(403);
    await expect(executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference }, now)).rejects.toThrow(/approved by a second person/);
    expect(await ledgerSize()).toBe(afterProposal);
    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(1);

    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" }, now);
    const approved = await eventsSince(afterProposal);
    expect(approved.map((event) => [event.action, event.actorId])).toEqual([["privacy_request.erasure_approved", dpo2Id]]);
    // Still not the proposer, even after approval.
    expect((await thrownResponse(() => executeErasure(dpo, requestId, { intent: "execute", confirmReference: subject.reference }, now))).status).toBe(403);
    await expect(executeErasure(dpo2, requestId, { intent: "execute", confirmReference: "CUS-WRONG" }, now)).rejects.toThrow(/Type the customer reference/);
    expect(await ledgerSize()).toBe(afterProposal + 1);
  });

  it("executes once, in one transaction: personal data gone everywhere, key destroyed, kept records restricted, certificate signed", async () => {
    const requestId = subject.ids.requests.erasure;
    const sealedEvent = await db.auditEvent.findFirstOrThrow({ where: { subjectType: "Customer", subjectId: subject.ids.customer, action: "customer.personal_data_read" } });
    const sealed = (sealedEvent.changes as { personal: unknown }).personal;
    expect(isSealedPersonalData(sealed)).toBe(true);
    expect(await db.$transaction((tx) => openSealed(tx as unknown as Tx, sealed as never))).toMatchObject({ email: subject.personal.email });

    const before = await ledgerSize();
    // Two people press "Execute" at once: one erasure runs, the other is refused.
    const outcomes = await Promise.allSettled([
      executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference }, now),
      executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference }, now),
    ]);
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
    const refusal = outcomes.find((outcome) => outcome.status === "rejected") as PromiseRejectedResult;
    expect(refusal.reason).toBeInstanceOf(ErasureRefusedError);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["privacy_request.erasure_executed"]);
    expect(JSON.stringify(events[0]!.changes)).not.toContain(subject.personal.email);

    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(0);
    const customer = await db.customer.findUniqueOrThrow({ where: { id: subject.ids.customer } });
    expect(customer).toMatchObject({ isRestricted: true });
    expect(customer.erasedAt).not.toBeNull();
    const requests = await db.privacyRequest.findMany({ where: { customerId: subject.ids.customer }, include: { notes: true } });
    expect(requests.map((request) => request.id).sort()).toEqual([subject.ids.requests.access, subject.ids.requests.erasure].sort());
    for (const request of requests) expect(request).toMatchObject({ requesterName: null, requesterEmail: null, details: null });
    expect(JSON.stringify(requests.find((request) => request.id === subject.ids.requests.access)!.identityEvidence)).not.toContain(subject.personal.dateOfBirth);
    expect(requests.find((request) => request.id === subject.ids.requests.erasure)).toMatchObject({ state: "completed", completedById: dpo2Id });
    expect(await db.privacyArtefact.count({ where: { kind: "access_export", request: { customerId: subject.ids.customer } } })).toBe(0);
    expect(await db.decision.findUnique({ where: { id: subject.ids.decisions.oldDecline } })).toBeNull();
    expect(await db.decision.count({ where: { customerId: subject.ids.customer } })).toBe(3);
    // Kept reviews hold the scrubbed text in clear (ADR 020): readable with the customer's key destroyed.
    const storedText = async (id: string) => {
      const { justification } = await db.review.findUniqueOrThrow({ where: { id }, select: { justification: true } });
      expect(isEncryptedField(justification)).toBe(false);
      return Buffer.from(justification!).toString("utf8");
    };
    expect(await storedText(subject.ids.review)).toBe("Spoke to [erased] on [erased]; the collection record is theirs.");
    expect(await storedText(workedReview)).toBe("Called [erased] on [erased]; the delinquency is theirs.");
    // And the decision page shows it to those who work reviews.
    const page = await getDecision(compliance, subject.ids.decisions.contestedDecline);
    expect(page.reviews!.find((entry) => entry.id === subject.ids.review)!.justification).toBe("Spoke to [erased] on [erased]; the collection record is theirs.");
    // The kept request's notes were encrypted under the subject's data key, destroyed with the erasure:
    // the rows stay (the request's record), their text can no longer be read by anyone.
    const notes = await db.privacyRequestNote.findMany({ where: { requestId: subject.ids.requests.access }, select: { body: true } });
    expect(notes.length).toBeGreaterThan(0);
    expect(await storedNoteBodies(subject.ids.requests.access)).toEqual(notes.map(() => ""));
    for (const value of Object.values(storedForms(subject.personal))) expect(Buffer.concat(notes.map((note) => Buffer.from(note.body))).toString("latin1")).not.toContain(value);
    // What the ledger holds of the staff's words is sealed under the destroyed key: unreadable for good.
    const decided = await db.auditEvent.findFirstOrThrow({ where: { subjectType: "Review", subjectId: workedReview, action: "review.decided" } });
    await expect(sealedOf(decided)).rejects.toThrow(SubjectKeyDestroyedError);

    await expect(db.$transaction((tx) => openSealed(tx as unknown as Tx, sealed as never))).rejects.toThrow(SubjectKeyDestroyedError);
    const retained = await db.retainedRecord.findMany({ where: { customerId: subject.ids.customer }, orderBy: { retainUntil: "asc" } });
    const plan = (await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).erasurePlan as unknown as ErasurePlan;
    expect(retained.map((record) => record.category).sort()).toEqual(plan.categories.flatMap((category) => category.kept.map(() => category.category)).sort());
    for (const record of retained) expect(record).toMatchObject({ restricted: true, erasedAt: null, requestId, regionCode: "US" });

    const certificate = await db.privacyArtefact.findFirstOrThrow({ where: { requestId, kind: "erasure_certificate" } });
    const text = Buffer.from(certificate.content).toString("utf8");
    const document = JSON.parse(text) as { kept: unknown[]; ledgerCheckpoint: { treeSize: number; keyFingerprint: string } };
    expect(document).toMatchObject({ subject: { customerReference: subject.reference }, approvedBy: { id: dpo2Id }, proposedBy: { id: personas.dpo.id }, cryptoShredding: { subjectKeyDestroyed: true } });
    expect(document.ledgerCheckpoint.treeSize).toBeGreaterThan(0);
    expect(document.kept.length).toBe(retained.length);
    for (const value of Object.values(storedForms(subject.personal))) expect(text).not.toContain(value);
    const dir = tempDir("certificate");
    try {
      const gpg = gpgIn(dir);
      const key = await db.signingKey.findFirstOrThrow({ where: { fingerprint: document.ledgerCheckpoint.keyFingerprint } });
      fs.writeFileSync(path.join(dir, "key.asc"), key.armoredPublicKey);
      fs.writeFileSync(path.join(dir, "certificate.json"), certificate.content);
      fs.writeFileSync(path.join(dir, "certificate.json.asc"), certificate.signature);
      expect(gpg("--import", path.join(dir, "key.asc")).status).toBe(0);
      const verified = gpg("--verify", path.join(dir, "certificate.json.asc"), path.join(dir, "certificate.json"));
      expect(verified.status, verified.stderr).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!isPostgres)("leaves none of the erased personal data in a pg_dump of the whole database", () => {
    const dumpAfter = pgDump();
    for (const [field, value] of Object.entries(storedForms(subject.personal))) {
      expect(dumpAfter.includes(value), `${field} (${value}) is still in the database`).toBe(false);
    }
    // Encrypted at rest (ADR 009, 020): even the dump taken before the erasure holds no identity or
    // contact value in clear, reviewers' justifications included, as text or as bytea's hex. (The date
    // of birth is in the fixture's identity-check record: a staff-written record the erasure cleans.)
    const { dateOfBirth: _dateOfBirth, ...atRest } = storedForms(subject.personal);
    for (const [field, value] of Object.entries(atRest)) {
      expect(dumpBefore.includes(value), `${field} (${value}) was in clear before the erasure`).toBe(false);
      expect(dumpBefore.includes(Buffer.from(value, "utf8").toString("hex")), `${field} (${value}) was in a bytea in clear before the erasure`).toBe(false);
    }
    // Another customer, not erased, is still there: the dump is real.
    expect(dumpAfter).toContain("CUS-SE-000001");
  });

  it("leaves a ledger that npm run ledger:verify still passes", async () => {
    const output = await runNodeScript(["--import", "tsx", "scripts/ledger-verify.ts", "--no-record"], databaseEnv(databaseUrl, { NODE_ENV: "test" }));
    expect(output).toMatch(/^ledger OK: /m);
  }, 120_000);

  it("the retention sweep erases expired retained records only", { timeout: 120_000 }, async () => {
    const retained = await db.retainedRecord.findMany({ where: { customerId: subject.ids.customer }, orderBy: { retainUntil: "asc" } });
    expect(retained.length).toBeGreaterThanOrEqual(3);
    // Nothing is due today.
    const today = await runRetentionSweep(new Date());
    expect(today.erased.filter((item) => item.customerId === subject.ids.customer)).toEqual([]);

    // Just after the first date: only that group goes (the contested decline's review, CCPA and Reg B periods end first).
    const first = retained[0]!;
    const second = retained.find((record) => record.retainUntil!.getTime() > first.retainUntil!.getTime())!;
    const before = await ledgerSize();
    const sweep = await runRetentionSweep(new Date(first.retainUntil!.getTime() + 1000));
    const mine = sweep.erased.filter((item) => item.customerId === subject.ids.customer);
    const due = retained.filter((record) => record.retainUntil!.getTime() === first.retainUntil!.getTime());
    expect(mine.map((item) => item.retainedRecordId).sort()).toEqual(due.map((record) => record.id).sort());
    const events = (await eventsSince(before)).filter((event) => event.subjectId === subject.ids.customer);
    expect(events.map((event) => event.action)).toEqual(due.map(() => "retained_record.erased"));
    const after = await db.retainedRecord.findMany({ where: { customerId: subject.ids.customer } });
    for (const record of after) {
      if (due.some((entry) => entry.id === record.id)) expect(record.erasedAt).not.toBeNull();
      else expect(record.erasedAt).toBeNull();
    }
    expect(second).toBeDefined();

    // The command line sweep (npm run retention:sweep) with a clock of its own erases the next group.
    const output = await runNodeScript(
      ["--import", "tsx", "scripts/retention-sweep.ts", "--now", new Date(second.retainUntil!.getTime() + 1000).toISOString(), "--json"],
      databaseEnv(databaseUrl, { NODE_ENV: "test" }),
    );
    const report = JSON.parse(output.slice(output.indexOf("{"))) as { erased: { retainedRecordId: string }[] };
    expect(report.erased.map((item) => item.retainedRecordId)).toContain(second.id);
    expect(await db.retainedRecord.findUniqueOrThrow({ where: { id: second.id } })).toMatchObject({ erasedAt: expect.any(Date) });
    expect(await db.retainedRecord.count({ where: { customerId: subject.ids.customer, erasedAt: null, retainUntil: { gt: second.retainUntil! } } })).toBeGreaterThan(0);

    // Far in the future everything kept is gone, and the ledger still holds the certificate's request.
    await runRetentionSweep(new Date(Date.UTC(2100, 0, 1)));
    expect(await db.retainedRecord.count({ where: { customerId: subject.ids.customer, erasedAt: null } })).toBe(0);
    expect(await db.decision.count({ where: { customerId: subject.ids.customer } })).toBe(0);
    expect(await db.review.count({ where: { id: subject.ids.review } })).toBe(0);
    expect(await db.privacyRequest.findUnique({ where: { id: subject.ids.requests.access } })).toBeNull();
    expect(await db.privacyArtefact.count({ where: { requestId: subject.ids.requests.erasure, kind: "erasure_certificate" } })).toBe(1);
  });
});

describe("kept groups that end the same day", () => {
  it("are each erased by the sweep, whatever their basis", async () => {
    const subject = await createErasureSubject(db, { tag: "L", staffId: personas.dpo.id });
    const review = await db.review.findUniqueOrThrow({ where: { id: subject.ids.review } });
    // A second decline decided when the contest review closed: its own Regulation B date is the review's.
    const twin = await db.decision.create({
      data: { externalId: `ENG-US-TWIN-${subject.ids.customer.slice(0, 8)}`, customerId: subject.ids.customer, kind: "credit", regionCode: "US", modelName: "credit-gbm", modelVersion: "2026.1", score: 0.3, outcome: "declined", amount: "90.00", currency: "USD", features: { age: 55 }, decidedAt: review.closedAt! },
    });
    const requestId = subject.ids.requests.erasure;
    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
    await executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference });
    const credit = await db.retainedRecord.findMany({ where: { customerId: subject.ids.customer, category: "credit_decisions" }, orderBy: { retainUntil: "asc" } });
    const sameDay = credit.filter((record) => record.retainUntil!.getTime() === credit[0]!.retainUntil!.getTime());
    expect(sameDay.map((record) => record.legalBasis.startsWith("Kept while")).sort()).toEqual([false, true]);

    await runRetentionSweep(new Date(credit[0]!.retainUntil!.getTime() + 1000));
    expect(await db.decision.findUnique({ where: { id: twin.id } })).toBeNull();
    expect(await db.decision.findUnique({ where: { id: subject.ids.decisions.contestedDecline } })).toBeNull();
    expect(await db.decision.findUnique({ where: { id: subject.ids.decisions.recentApproval } })).not.toBeNull();
  });
});

describe("an erasure plan that no longer matches the records", () => {
  it.skipIf(!isPostgres)("waits for a decision being ingested at that moment, then refuses the plan that misses it", async () => {
    const subject = await createErasureSubject(db, { tag: "K", staffId: personas.dpo.id });
    const requestId = subject.ids.requests.erasure;
    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
    let commitIngestion = () => {};
    let markInserted = () => {};
    const isInserted = new Promise<void>((resolve) => (markInserted = resolve));
    const ingestion = db.$transaction(
      async (tx) => {
        await tx.decision.create({
          data: { externalId: `ENG-US-RACE-${requestId.slice(0, 8)}`, customerId: subject.ids.customer, kind: "credit", regionCode: "US", modelName: "credit-gbm", modelVersion: "2026.1", score: 0.5, outcome: "referred", amount: "80.00", currency: "USD", features: { age: 55 }, decidedAt: new Date() },
        });
        markInserted();
        await new Promise<void>((resolve) => (commitIngestion = resolve));
      },
      { timeout: 20_000 },
    );
    await isInserted;
    const execution = executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference });
    const settled = execution.then(
      () => "executed",
      () => "refused",
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    commitIngestion();
    await ingestion;
    expect(await settled).toBe("refused");
    await expect(execution).rejects.toThrow(/changed since the plan was approved/);
    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(1);
  });

  it("is refused at execution with nothing written, and can be sent back and proposed again", async () => {
    const subject = await createErasureSubject(db, { tag: "H", staffId: personas.dpo.id });
    const requestId = subject.ids.requests.erasure;
    await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: "Verified customer asked for erasure; plan checked." });
    await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
    // A new decision is ingested after approval.
    await db.decision.create({
      data: { externalId: `ENG-US-LATE-${requestId.slice(0, 8)}`, customerId: subject.ids.customer, kind: "limit", regionCode: "US", modelName: "credit-gbm", modelVersion: "2026.1", score: 0.7, outcome: "approved", amount: "100.00", currency: "USD", features: { age: 55 }, decidedAt: new Date() },
    });
    const before = await ledgerSize();
    await expect(executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference })).rejects.toThrow(/changed since the plan was approved/);
    expect(await ledgerSize()).toBe(before);
    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(1);
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "awaiting_approval" });
    expect((await storedRequestText(requestId)).requesterEmail).toBe(subject.personal.email);

    await decideErasureApproval(dpo2, requestId, { intent: "reject", justification: "New decision arrived; plan must be redone" });
    expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ state: "in_progress", pendingAction: null, approverId: null, erasurePlan: null });
    await requestErasureApproval(dpo2, requestId, { intent: "request_approval", justification: "Plan recomputed with the new decision." });
    await decideErasureApproval(dpo, requestId, { intent: "approve", justification: "Checked the new plan" });
    await executeErasure(dpo, requestId, { intent: "execute", confirmReference: subject.reference });
    expect(await db.customerPersonalData.count({ where: { customerId: subject.ids.customer } })).toBe(0);
  });
});

describe("erasure text cleaning", () => {
  it("cleans postal code, city, the requester's own name and email, and values replaced by a rectification; leaves other customers' requests alone", async () => {
    const subject = await createErasureSubject(db, { tag: "R", staffId: personas.dpo.id });
    const p = subject.personal;
    const intake = { name: "Edda Rookwood-Pallister", email: "edda.rookwood.pallister@example.net" };
    // A rectification taken through the workflow: the old phone, postal code and city are replaced.
    const rectification = await createPrivacyRequest(dpo, {
      type: "rectification",
      regionCode: "US",
      channel: "email",
      customerReference: subject.reference,
      requesterName: intake.name,
      requesterEmail: intake.email,
    });
    await act(dpo, rectification.id, { intent: "verifyIdentity", method: "email_on_file", checks: ["email_matches"], result: "verified" });
    await act(dpo, rectification.id, { intent: "rectify", phone: "+1 646 555 0199", postalCode: "10001", city: "Harbourview" });
    await act(dpo, rectification.id, {
      intent: "note",
      body: `Moved from ${p.postalCode} ${p.city}; old number ${p.phone}. Asked on behalf by ${intake.name} (${intake.email}).`,
    });
    // Another customer sharing the subject's address, with a request of theirs; and one matched to nobody.
    const other = await db.customer.create({ data: { reference: `CUS-US-SHARE-${subject.ids.customer.slice(0, 6)}`, regionCode: "US" } });
    await writePersonalData(db, other.id, { fullName: "Ottilie Marchbank", email: p.email, phone: "+1 718 555 0123", dateOfBirth: "1980-01-01", street: "1 Elm Row", postalCode: "11201", city: "Brooklyn", country: "US" });
    createdCustomers.push(other.id);
    const requestRow = async (id: string, customerId: string | null, details: string) => ({
      id,
      reference: `PR-US-T-${id.slice(0, 8)}`,
      type: "access" as const,
      customerId,
      regionCode: "US",
      regime: "ccpa",
      channel: "email",
      requesterName: await encryptRequestText(db, { id, customerId }, customerId ? "Ottilie Marchbank" : p.fullName),
      requesterEmail: await encryptRequestText(db, { id, customerId }, p.email),
      requesterEmailIndex: await requesterEmailIndex(db, p.email),
      details: await encryptRequestText(db, { id, customerId }, details),
      receivedAt: new Date(),
      dueAt: new Date(Date.now() + 45 * 86_400_000),
    });
    const othersRequest = crypto.randomUUID();
    const unmatched = crypto.randomUUID();
    await db.privacyRequest.createMany({
      data: [await requestRow(othersRequest, other.id, "Ottilie's own request"), await requestRow(unmatched, null, `Filed before the account existed, by ${p.fullName}`)],
    });
    try {
      const requestId = subject.ids.requests.erasure;
      await requestErasureApproval(dpo, requestId, { intent: "request_approval", justification: `Verified ${p.fullName} asked for erasure; plan checked.` });
      await decideErasureApproval(dpo2, requestId, { intent: "approve", justification: "Plan matches the retention policy" });
      await executeErasure(dpo2, requestId, { intent: "execute", confirmReference: subject.reference });

      // The rectification's notes were encrypted under the destroyed data key: unreadable for good.
      expect((await storedNoteBodies(rectification.id)).every((body) => body === "")).toBe(true);
      expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: rectification.id } })).toMatchObject({ requesterName: null, requesterEmail: null });
      // The request filed under the address and matched to nobody is the subject's: its contact is gone.
      expect(await db.privacyRequest.findUniqueOrThrow({ where: { id: unmatched } })).toMatchObject({ requesterName: null, requesterEmail: null, details: null });
      // The other customer's request sharing the address is theirs, untouched.
      expect(await storedRequestText(othersRequest)).toMatchObject({ requesterName: "Ottilie Marchbank", requesterEmail: p.email, details: "Ottilie's own request" });
      if (isPostgres) {
        const dump = pgDump();
        for (const value of [p.postalCode, p.city, p.phone, intake.name, intake.email, p.fullName, "Harbourview"]) expect(dump.includes(value), `${value} is still in the database`).toBe(false);
      }
    } finally {
      await db.privacyRequest.deleteMany({ where: { id: { in: [othersRequest, unmatched] } } });
    }
  });
});
