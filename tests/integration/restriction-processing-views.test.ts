import crypto from "node:crypto";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { getDecision } from "~/modules/decisions/decisions.server";
import { generateDecisionNotice } from "~/modules/decisions/notices.server";
import { listReviewQueue } from "~/modules/decisions/review-queue.server";
import { ReviewQueueQuerySchema } from "~/modules/decisions/schema";
import { loadArtefactSigner } from "~/modules/privacy/artefact-signing.server";
import { downloadPrivacyArtefact, generateAccessExport } from "~/modules/privacy/access-export.server";
import { db } from "~/utils/db.server";
import { createErasureSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";
import { actorFor } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize, serialized } from "./helpers/ledger";

// GDPR Art. 18 in the processing views (ADR 007): a restricted customer's review stays in the queue,
// flagged, without personal data; the decision page keeps the decision record but withholds what links
// the customer beyond it (their words, their other decisions) from all but the DPO; notices are still
// generated and recorded as such; the subject's own access export stays complete.

let compliance: Actor;
let dpo: Actor;
let subject: Awaited<ReturnType<typeof createErasureSubject>>;
let openReviewId: string;

beforeAll(async () => {
  compliance = await actorFor("compliance");
  dpo = await actorFor("dpo");
  await loadArtefactSigner();
  subject = await createErasureSubject(db, { tag: "R", staffId: personas.dpo.id });
  await db.customer.update({ where: { id: subject.ids.customer }, data: { isRestricted: true, restrictedAt: new Date() } });
  openReviewId = (
    await db.review.create({
      data: { decisionId: subject.ids.decisions.oldDecline, regionCode: "US", trigger: "referral", priority: 1, openedAt: new Date(), dueAt: new Date(Date.now() + 86_400_000) },
      select: { id: true },
    })
  ).id;
});

afterAll(async () => {
  await db.review.deleteMany({ where: { id: openReviewId } });
  await deleteErasureSubject(db, subject.ids.customer);
});

function personalValues() {
  return [subject.personal.fullName, subject.personal.email, subject.personal.phone, subject.personal.street, subject.personal.city];
}

function expectNoPersonalData(value: unknown) {
  const text = serialized(value);
  for (const personal of personalValues()) expect(text).not.toContain(personal);
}

describe("the review queue", () => {
  it("keeps a restricted customer's review, flagged, with no personal data; others are not flagged", async () => {
    const queue = await listReviewQueue(compliance, ReviewQueueQuerySchema.parse({ region: "US", sort: "priority", order: "asc" }));
    const item = queue.reviews.find((review) => review.id === openReviewId);
    expect(item).toMatchObject({ isProcessingRestricted: true, decisionId: subject.ids.decisions.oldDecline });
    expect(queue.reviews.filter((review) => review.id !== openReviewId).every((review) => !review.isProcessingRestricted)).toBe(true);
    expectNoPersonalData(queue.reviews);
  });
});

describe("the decision page", () => {
  it("shows the decision record with the flag, but withholds the customer's words and other decisions from a reviewer", async () => {
    const view = await getDecision(compliance, subject.ids.decisions.contestedDecline);
    expect(view.customer).toMatchObject({ isProcessingRestricted: true, isDataWithheld: true });
    expect(view.features.length).toBeGreaterThan(0);
    expect(view.reasons.map((reason) => reason.code)).toEqual(["CH01", "EX01"]);
    expect(view.otherDecisions).toEqual([]);
    const contest = view.reviews!.find((review) => review.contest)!.contest!;
    expect(contest).toMatchObject({ details: null, withheldBecause: "restricted" });
    // Reviewers' justifications are the review record itself (the four-eyes approver reads them), kept
    // for legal claims; everything else on the page holds no personal data of the customer.
    expectNoPersonalData({ ...view, reviews: view.reviews!.map(({ justification: _justification, ...review }) => review) });
  });

  it("shows them to the DPO, who handles the restriction", async () => {
    const view = await getDecision(dpo, subject.ids.decisions.contestedDecline);
    expect(view.customer).toMatchObject({ isProcessingRestricted: true, isDataWithheld: false });
    expect(view.otherDecisions.map((decision) => decision.id).sort()).toEqual(
      [subject.ids.decisions.oldDecline, subject.ids.decisions.recentApproval, subject.ids.decisions.fraudHold].sort(),
    );
    expect(view.reviews!.find((review) => review.contest)!.contest!.details).toBe("What do you hold about me, and why was I declined?");
  });

  it("withholds nothing for a customer who is not restricted, but the words only from a role that may read personal data", async () => {
    await db.customer.update({ where: { id: subject.ids.customer }, data: { isRestricted: false } });
    try {
      const view = await getDecision(compliance, subject.ids.decisions.contestedDecline);
      expect(view.customer).toMatchObject({ isProcessingRestricted: false, isDataWithheld: false });
      expect(view.otherDecisions).toHaveLength(3);
      // The customer's words are free text that may hold their personal data: the DPO's, not a reviewer's.
      expect(view.reviews!.find((review) => review.contest)!.contest).toMatchObject({ details: null, withheldBecause: "personal_data", canOpen: true });
      expect((await getDecision(dpo, subject.ids.decisions.contestedDecline)).reviews!.find((review) => review.contest)!.contest).toMatchObject({
        details: "What do you hold about me, and why was I declined?",
        withheldBecause: null,
      });
    } finally {
      await db.customer.update({ where: { id: subject.ids.customer }, data: { isRestricted: true } });
    }
  });
});

describe("notices to a restricted customer", () => {
  it("are generated (they are owed to the customer) and the event records the restriction", async () => {
    const before = await ledgerSize();
    const adverse = await generateDecisionNotice(compliance, subject.ids.decisions.contestedDecline, "adverse_action");
    const outcome = await generateDecisionNotice(compliance, subject.ids.decisions.contestedDecline, "review_outcome");
    expect([adverse.notice.language, outcome.notice.language]).toEqual(["en", "en"]);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["decision.notice_generated", "decision.review_outcome_notice_generated"]);
    for (const event of events) expect(changesOf(event).after).toMatchObject({ subjectProcessingRestricted: true });
    expectNoPersonalData(events);
  });
});

function readZipEntry(zip: Buffer, name: RegExp) {
  return new Promise<string>((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => {
      if (error || !file) return reject(error);
      file.on("entry", (entry: yauzl.Entry) => {
        if (!name.test(entry.fileName)) return file.readEntry();
        file.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        });
      });
      file.on("end", () => reject(new Error(`no entry matching ${name} in the zip`)));
      file.readEntry();
    });
  });
}

describe("the restricted subject's own access export", () => {
  it("is complete, personal data included, and says processing is restricted", async () => {
    const artefact = await generateAccessExport(dpo, subject.ids.requests.access);
    const file = await downloadPrivacyArtefact(dpo, subject.ids.requests.access, artefact.id, "file");
    const subjectFile = JSON.parse(await readZipEntry(Buffer.from(file.body), /data\/subject\.json$/)) as { processingRestricted: boolean; personalData: Record<string, unknown> };
    expect(subjectFile.processingRestricted).toBe(true);
    expect(subjectFile.personalData).toMatchObject({ fullName: subject.personal.fullName, email: subject.personal.email });
    expect(crypto.createHash("sha256").update(Buffer.from(file.body)).digest("hex")).toBe(artefact.sha256);
  });
});
