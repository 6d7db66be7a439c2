import { db, type Tx } from "~/utils/db.server";
import { Prisma } from "~/generated/prisma/client";
import { subjectOf } from "~/modules/access/ability.server";
import { forbidden, notFound, requireRecordPermission, type Actor, requirePermission } from "~/modules/access/actor.server";
import { createCheckpoint, latestCheckpoint } from "~/modules/audit/checkpoints.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { isSealedPersonalData, openSealed, SubjectKeyDestroyedError } from "~/modules/audit/subject-keys.server";
import { blindIndexCandidates, deletePersonalData, readPersonalDataForSystem } from "~/modules/customers/personal-data.server";
import { destroySubjectKeys, subjectKeyState, vacuumKeyTables } from "~/modules/customers/subject-keys.server";
import { decryptReviewFields } from "~/modules/decisions/review-text.server";
import { decryptRequestTexts, encryptRequestText } from "~/modules/customers/subject-text.server";
import { completePrivacyRequest } from "./privacy-requests.server";
import { loadArtefactSigner } from "./artefact-signing.server";
import { issueErasureCertificate, type CertificateStaff } from "./erasure-certificate.server";
import { computeErasurePlan, keepsIdentityForDebt, keptGroupsOf, outstandingDebtsOf, recordsToEraseNow, summarisePlan, type ErasurePlan, type SubjectRecords } from "./erasure-plan";
import type { ErasureActionInput } from "./erasure-schema";
import { eraseSubjectRecords } from "./retention.server";
import { retentionPolicy, retentionPolicySha256 } from "./retention-policy.server";

// Erasure that respects retention (DESIGN.md §5, §9). A DPO proposes the plan computed from the
// subject's records and policies/retention.yaml; a second person with the approve permission approves
// it; a person other than the proposer executes it in one transaction: personal data erased everywhere
// it is held, the subject's ledger key destroyed (crypto-shredding), kept records restricted until
// their date, a signed certificate issued and one audit event appended.

export class ErasureRefusedError extends Error {}

const requestSelect = {
  id: true,
  reference: true,
  type: true,
  state: true,
  regionCode: true,
  regime: true,
  customerId: true,
  identityState: true,
  receivedAt: true,
  pendingAction: true,
  approvalRequestedById: true,
  approvalRequestedAt: true,
  approverId: true,
  approvedAt: true,
  erasurePlan: true,
  completedAt: true,
  version: true,
} as const;

async function findErasureRequest(client: Tx | typeof db, requestId: string) {
  const request = await client.privacyRequest.findUnique({ where: { id: requestId }, select: requestSelect });
  if (!request) throw notFound("That privacy request");
  return request;
}

type ErasureRequest = Awaited<ReturnType<typeof findErasureRequest>>;

function permissionRow(request: ErasureRequest) {
  return { id: request.id, regionCode: request.regionCode, type: request.type, state: request.state, customerId: request.customerId };
}

/**
 * The subject's values replaced by rectifications (GDPR Art. 16): they exist only sealed in the
 * ledger, yet may still appear in free text and on requests filed under them. Empty once the key is gone.
 */
async function rectifiedAwayValues(tx: Tx | typeof db, customerId: string) {
  const events = await tx.auditEvent.findMany({
    where: { subjectType: "Customer", subjectId: customerId, action: "customer.personal_data_rectified" },
    select: { changes: true },
    orderBy: { seq: "asc" },
  });
  const values: Record<string, string>[] = [];
  for (const event of events) {
    const sealed = (event.changes as { personal?: unknown } | null)?.personal;
    if (!isSealedPersonalData(sealed)) continue;
    try {
      const opened = await openSealed(tx as Tx, sealed);
      values.push((opened.before ?? {}) as Record<string, string>);
    } catch (error) {
      if (error instanceof SubjectKeyDestroyedError) return [];
      throw error;
    }
  }
  return values;
}

/** Everything Attest holds about the subject, as the plan needs it (ids and dates only). */
async function loadSubjectRecords(tx: Tx | typeof db, request: ErasureRequest): Promise<SubjectRecords & { contactEmail: string | null }> {
  const customerId = request.customerId!;
  const customer = await tx.customer.findUniqueOrThrow({ where: { id: customerId }, select: { id: true, reference: true, regionCode: true } });
  const personal = await readPersonalDataForSystem(tx as Tx, customerId, "erasure plan");
  const keys = await subjectKeyState(tx, customerId);
  const ofCustomer = { decision: { customerId } };
  const contactEmail = personal?.email ?? null;
  // The current address and any the subject had before a rectification.
  const emails = [...new Set([contactEmail, ...(await rectifiedAwayValues(tx, customerId)).map((before) => before.email)].filter((email): email is string => Boolean(email)))];
  const emailIndexes = (await Promise.all(emails.map((email) => blindIndexCandidates(tx, "email", email)))).flat();
  const [decisions, repayments, fraudOutcomes, reviews, privacyRequests, withContact, accessExports] = [
    await tx.decision.findMany({ where: { customerId }, select: { id: true, kind: true, decidedAt: true, currency: true }, orderBy: { decidedAt: "asc" } }),
    await tx.repaymentOutcome.findMany({ where: ofCustomer, select: { id: true, decisionId: true, observedAt: true, status: true, outstandingAmount: true } }),
    await tx.fraudOutcome.findMany({ where: ofCustomer, select: { id: true, decisionId: true, reportedAt: true } }),
    await tx.review.findMany({ where: ofCustomer, select: { id: true, decisionId: true, openedAt: true, closedAt: true } }),
    await tx.privacyRequest.findMany({ where: { customerId, id: { not: request.id } }, select: { id: true, receivedAt: true, completedAt: true } }),
    // Requests filed under the subject's email but never matched to anyone hold the same contact details;
    // a request matched to another customer sharing the address is theirs, and is left alone.
    await tx.privacyRequest.findMany({
      where: {
        AND: [
          { OR: [{ customerId }, ...(emailIndexes.length > 0 ? [{ customerId: null, requesterEmailIndex: { in: emailIndexes } }] : [])] },
          { OR: [{ requesterName: { not: null } }, { requesterEmail: { not: null } }, { details: { not: null } }] },
        ],
      },
      select: { id: true },
    }),
    await tx.privacyArtefact.findMany({ where: { kind: "access_export", request: { customerId } }, select: { id: true } }),
  ];
  return {
    customerId,
    customerReference: customer.reference,
    regionCode: customer.regionCode,
    decisions,
    repayments,
    fraudOutcomes,
    reviews,
    privacyRequests,
    hasPersonalData: personal !== null,
    requestsWithContact: withContact.map((row) => row.id),
    accessExports: accessExports.map((row) => row.id),
    // Every erasure destroys the ledger key, whether it exists yet or not (a tombstone keeps one from
    // being created later). Proposing the erasure seals its justification and so may create the key:
    // the plan must not change because of it (issue 14).
    hasLedgerKey: !keys.isLedgerKeyDestroyed,
    outstandingDebts: outstandingDebtsOf(decisions, repayments),
    contactEmail,
  };
}

async function currentPlan(client: Tx | typeof db, request: ErasureRequest, now: Date) {
  const subject = await loadSubjectRecords(client, request);
  return computeErasurePlan(subject, retentionPolicy, { now, policySha256: retentionPolicySha256 });
}

function requireErasureRequest(request: ErasureRequest) {
  if (request.type !== "erasure") throw new ErasureRefusedError(`${request.reference} is a ${request.type} request, not an erasure request`);
  if (!request.customerId) throw new ErasureRefusedError(`${request.reference} is not matched to a customer yet: match the subject before planning an erasure`);
}

async function staffNames(ids: (string | null)[]) {
  const present = ids.filter((id): id is string => Boolean(id));
  const rows = present.length > 0 ? await db.staffUser.findMany({ where: { id: { in: present } }, select: { id: true, displayName: true, role: true } }) : [];
  return new Map(rows.map((row) => [row.id, row]));
}

/** The erasure page: the plan (live while open, as approved once proposed), who did what, what the viewer may do. */
export async function getErasurePage(actor: Actor, requestId: string, now = new Date()) {
  requirePermission(actor, "read", "PrivacyRequest");
  const request = await findErasureRequest(db, requestId);
  requireRecordPermission(actor, "read", "PrivacyRequest", permissionRow(request));
  if (request.type !== "erasure") throw notFound(`An erasure plan for ${request.reference} (a ${request.type} request)`);
  const isOpen = request.state !== "completed" && request.state !== "refused";
  const storedPlan = request.erasurePlan as ErasurePlan | null;
  const plan = request.pendingAction === "erasure_execution" || !isOpen || !request.customerId ? storedPlan : await currentPlan(db, request, now);
  const names = await staffNames([request.approvalRequestedById, request.approverId]);
  const certificate = await db.privacyArtefact.findFirst({
    where: { requestId, kind: "erasure_certificate" },
    orderBy: { createdAt: "desc" },
    select: { id: true, fileName: true, sha256: true, sizeBytes: true, createdAt: true },
  });
  const retained = await db.retainedRecord.findMany({
    where: { requestId },
    orderBy: { retainUntil: "asc" },
    select: { id: true, category: true, legalBasis: true, retainUntil: true, untilDebtSettledKeep: true, debtSettledAt: true, restricted: true, erasedAt: true },
  });
  const instance = permissionRow(request);
  const can = (action: "erase" | "approve") => actor.ability.can(action, subjectOf("PrivacyRequest", instance) as never);
  const isProposer = request.approvalRequestedById === actor.user.id;
  return {
    request: {
      id: request.id,
      reference: request.reference,
      state: request.state,
      regionCode: request.regionCode,
      regime: request.regime,
      identityState: request.identityState,
      pendingAction: request.pendingAction,
      approvalRequestedAt: request.approvalRequestedAt,
      approvedAt: request.approvedAt,
      completedAt: request.completedAt,
      proposedBy: request.approvalRequestedById ? (names.get(request.approvalRequestedById)?.displayName ?? null) : null,
      approvedBy: request.approverId ? (names.get(request.approverId)?.displayName ?? null) : null,
    },
    plan,
    certificate,
    retained,
    permissions: {
      canPropose: isOpen && !request.pendingAction && request.identityState === "verified" && Boolean(request.customerId) && can("erase"),
      canDecide: request.pendingAction === "erasure_execution" && !request.approverId && !isProposer && can("approve"),
      canSendBack: request.pendingAction === "erasure_execution" && Boolean(request.approverId) && !isProposer && can("approve"),
      canExecute: request.pendingAction === "erasure_execution" && Boolean(request.approverId) && !isProposer && can("approve") && can("erase"),
      isProposer,
    },
  };
}

/** Four-eyes, step 1: the proposer freezes the current plan and asks a second person to approve it. */
export async function requestErasureApproval(actor: Actor, requestId: string, input: Extract<ErasureActionInput, { intent: "request_approval" }>, now = new Date()) {
  const request = await findErasureRequest(db, requestId);
  requireRecordPermission(actor, "erase", "PrivacyRequest", permissionRow(request));
  requireErasureRequest(request);
  if (request.state === "completed" || request.state === "refused") throw new ErasureRefusedError(`${request.reference} is already ${request.state}`);
  if (request.identityState !== "verified") throw new ErasureRefusedError("The requester's identity must be verified before an erasure is planned (GDPR Art. 12(6))");
  if (request.pendingAction) throw new ErasureRefusedError(`${request.reference} is already waiting for a second person (${request.pendingAction.replace(/_/g, " ")})`);
  return db.$transaction(async (tx) => {
    const plan = await currentPlan(tx, request, now);
    const updated = await tx.privacyRequest.updateMany({
      where: { id: request.id, version: request.version, pendingAction: null },
      data: {
        state: "awaiting_approval",
        pendingAction: "erasure_execution",
        approvalRequestedById: actor.user.id,
        approvalRequestedAt: now,
        approverId: null,
        approvedAt: null,
        erasurePlan: plan as never,
        version: { increment: 1 },
      },
    });
    if (updated.count === 0) throw new ErasureRefusedError("The request changed while you were looking at it; reload the page and check the plan again");
    await appendAuditEvent(tx, actor.audit, {
      action: "privacy_request.erasure_approval_requested",
      subjectType: "PrivacyRequest",
      subjectId: request.id,
      regionCode: request.regionCode,
      justification: input.justification,
      // The reason may describe the subject: sealed under their key (destroyed when the erasure runs).
      freeTextSubject: { customerId: request.customerId },
      changes: { before: { state: request.state }, after: { state: "awaiting_approval", pendingAction: "erasure_execution" }, plan: summarisePlan(plan) },
    });
    return plan;
  });
}

/** Four-eyes, step 2: a second person (never the proposer) approves the frozen plan or sends it back. */
export async function decideErasureApproval(actor: Actor, requestId: string, input: Extract<ErasureActionInput, { intent: "approve" | "reject" }>, now = new Date()) {
  const request = await findErasureRequest(db, requestId);
  requireRecordPermission(actor, "approve", "PrivacyRequest", permissionRow(request));
  requireErasureRequest(request);
  if (request.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second person must decide an erasure you proposed");
  }
  if (request.pendingAction !== "erasure_execution") throw new ErasureRefusedError(`${request.reference} has no erasure plan waiting for approval`);
  const isApproved = input.intent === "approve";
  // An approved plan can still be sent back before it runs (the records changed, a mistake was seen).
  if (isApproved && request.approverId) throw new ErasureRefusedError(`${request.reference}'s erasure plan was already approved; it is waiting to be executed`);
  return db.$transaction(async (tx) => {
    const updated = await tx.privacyRequest.updateMany({
      where: { id: request.id, version: request.version, pendingAction: "erasure_execution", ...(isApproved ? { approverId: null } : {}) },
      data: isApproved
        ? { approverId: actor.user.id, approvedAt: now, version: { increment: 1 } }
        : {
            state: "in_progress",
            pendingAction: null,
            approvalRequestedById: null,
            approvalRequestedAt: null,
            approverId: null,
            approvedAt: null,
            erasurePlan: Prisma.DbNull,
            version: { increment: 1 },
          },
    });
    if (updated.count === 0) throw new ErasureRefusedError("The request changed while you were looking at it; reload the page");
    await appendAuditEvent(tx, actor.audit, {
      action: isApproved ? "privacy_request.erasure_approved" : "privacy_request.erasure_rejected",
      subjectType: "PrivacyRequest",
      subjectId: request.id,
      regionCode: request.regionCode,
      justification: input.justification,
      // The reason may describe the subject: sealed under their key (destroyed when the erasure runs).
      freeTextSubject: { customerId: request.customerId },
      changes: isApproved
        ? { after: { approverId: actor.user.id }, proposedBy: request.approvalRequestedById }
        : { before: { state: "awaiting_approval", pendingAction: "erasure_execution" }, after: { state: "in_progress", pendingAction: null } },
    });
    return { isApproved };
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface PersonalValues {
  fullName?: string | null;
  email?: string | null;
  phone?: string | null;
  street?: string | null;
  postalCode?: string | null;
  city?: string | null;
  /** A Date from the table, or the ISO day (YYYY-MM-DD) a rectification replaced. */
  dateOfBirth?: Date | string | null;
}

/**
 * The forms the subject's personal data may take in free text written about them: the values held now,
 * those replaced by rectifications, and the name and email the requester gave at intake.
 */
export function personalDataNeedles(...records: PersonalValues[]) {
  const needles: string[] = [];
  for (const personal of records) {
    if (personal.fullName) needles.push(personal.fullName, ...personal.fullName.split(/[\s-]+/).filter((part) => part.length >= 3));
    if (personal.email) needles.push(personal.email);
    if (personal.phone) needles.push(personal.phone, personal.phone.replace(/\D/g, ""));
    if (personal.street) needles.push(personal.street);
    if (personal.postalCode) needles.push(personal.postalCode, personal.postalCode.replace(/\s/g, ""));
    if (personal.city) needles.push(personal.city);
    const birth = personal.dateOfBirth instanceof Date ? personal.dateOfBirth.toISOString().slice(0, 10) : personal.dateOfBirth;
    if (birth && /^\d{4}-\d{2}-\d{2}$/.test(birth)) {
      const [year, month, day] = birth.split("-");
      needles.push(birth, `${day}.${month}.${year}`, `${day}/${month}/${year}`, `${month}/${day}/${year}`);
    }
  }
  const kept = needles.map((needle) => needle.trim()).filter((needle) => needle.length >= 3);
  return [...new Set(kept)].sort((a, b) => b.length - a.length);
}

function scrubber(needles: string[]) {
  const pattern = needles.length > 0 ? new RegExp(needles.map(escapeRegExp).join("|"), "gi") : null;
  return (text: string | null) => (text && pattern ? text.replace(pattern, "[erased]") : text);
}

/**
 * Free text written about the subject by staff or by the requester (notes, reasons, identity-check
 * records, review justifications) on the records that are kept: every form of their personal data in
 * it is replaced, so the kept records no longer identify them directly.
 */
async function scrubKeptText(tx: Tx, customerId: string, requestIds: string[], scrub: (text: string | null) => string | null) {
  const requests = await tx.privacyRequest.findMany({
    where: { id: { in: requestIds } },
    select: { id: true, customerId: true, refusalReason: true, extensionReason: true, complaintRightNotice: true, identityEvidence: true },
  });
  // Encrypted free text is opened, cleaned and sealed again under the same subject's key: the key may
  // outlive this erasure (a kept debt), and the text must not identify the subject meanwhile.
  const rescrub = async (request: { id: string; customerId: string | null }, stored: Uint8Array<ArrayBuffer> | null) => {
    if (!stored) return { changed: false, value: stored };
    const [text] = await decryptRequestTexts(tx, [{ request, value: stored }]);
    const cleaned = scrub(text ?? null);
    if (text === null || cleaned === text) return { changed: false, value: stored };
    return { changed: true, value: await encryptRequestText(tx, request, cleaned) };
  };
  for (const request of requests) {
    const evidence = request.identityEvidence === null ? null : scrub(JSON.stringify(request.identityEvidence));
    const refusal = await rescrub(request, request.refusalReason);
    const extension = await rescrub(request, request.extensionReason);
    await tx.privacyRequest.update({
      where: { id: request.id },
      data: {
        requesterName: null,
        requesterEmail: null,
        requesterEmailIndex: null,
        details: null,
        ...(refusal.changed ? { refusalReason: refusal.value } : {}),
        ...(extension.changed ? { extensionReason: extension.value } : {}),
        complaintRightNotice: scrub(request.complaintRightNotice),
        ...(evidence === null ? {} : { identityEvidence: JSON.parse(evidence) as never }),
      },
    });
  }
  const requestById = new Map(requests.map((request) => [request.id, request]));
  const notes = await tx.privacyRequestNote.findMany({ where: { requestId: { in: requestIds } }, select: { id: true, requestId: true, body: true } });
  for (const note of notes) {
    const body = await rescrub(requestById.get(note.requestId)!, note.body);
    if (body.changed) await tx.privacyRequestNote.update({ where: { id: note.id }, data: { body: body.value! } });
  }
  const pauses = await tx.privacyRequestPause.findMany({ where: { requestId: { in: requestIds } }, select: { id: true, requestId: true, reason: true } });
  for (const pause of pauses) {
    const reason = await rescrub(requestById.get(pause.requestId)!, pause.reason);
    if (reason.changed) await tx.privacyRequestPause.update({ where: { id: pause.id }, data: { reason: reason.value! } });
  }
  // A kept review's free text is ciphertext under the customer's data key, which this erasure destroys
  // (or the retention sweep, for a debtor's identity): the scrubbed text is stored in its place as plain
  // UTF-8, so the review stays readable and holds nothing of theirs (ADR 020). Read before the key goes.
  const reviews = await tx.review.findMany({
    where: { decision: { customerId } },
    select: { id: true, privacyRequestId: true, justification: true, verdictReason: true, approvalRejectedReason: true },
  });
  const texts = await decryptReviewFields(
    tx,
    reviews.map((review) => ({ owner: { customerId, privacyRequestId: review.privacyRequestId }, justification: review.justification, approvalRejectedReason: review.approvalRejectedReason })),
  );
  const asStored = (text: string | null) => (text === null ? null : Buffer.from(text, "utf8"));
  for (const [index, review] of reviews.entries()) {
    const text = texts[index]!;
    if (review.justification === null && review.approvalRejectedReason === null && scrub(review.verdictReason) === review.verdictReason) continue;
    await tx.review.update({
      where: { id: review.id },
      data: {
        justification: asStored(scrub(text.justification)),
        verdictReason: scrub(review.verdictReason),
        approvalRejectedReason: asStored(scrub(text.approvalRejectedReason)),
      },
    });
  }
}

/** The latest signed checkpoint, signing one first when the tree grew (another signer may hold the lock). */
async function signedCheckpointNow() {
  for (let attempt = 0; attempt < 50; attempt++) {
    await createCheckpoint();
    const checkpoint = await latestCheckpoint();
    if (checkpoint) return checkpoint;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

function staffEntry(row: { id: string; displayName: string; role: string } | undefined, at: Date | null): CertificateStaff {
  return { id: row?.id ?? "unknown", name: row?.displayName ?? "unknown", role: row?.role ?? "unknown", at: (at ?? new Date(0)).toISOString() };
}

/**
 * Four-eyes, step 3: executes the approved plan in one transaction. Refused to the proposer, before
 * approval, twice, and when the subject's records changed since the plan was approved (the plan must
 * then be proposed and approved again).
 */
export async function executeErasure(actor: Actor, requestId: string, input: Extract<ErasureActionInput, { intent: "execute" }>, now = new Date()) {
  const request = await findErasureRequest(db, requestId);
  requireRecordPermission(actor, "erase", "PrivacyRequest", permissionRow(request));
  requireRecordPermission(actor, "approve", "PrivacyRequest", permissionRow(request));
  requireErasureRequest(request);
  if (request.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second person must execute an erasure you proposed");
  }
  if (request.state === "completed") throw new ErasureRefusedError(`${request.reference} was already executed`);
  if (request.pendingAction !== "erasure_execution" || !request.erasurePlan) throw new ErasureRefusedError(`${request.reference} has no approved erasure plan`);
  if (!request.approverId) throw new ErasureRefusedError("The erasure plan must be approved by a second person before it is executed");
  const approvedPlan = request.erasurePlan as unknown as ErasurePlan;
  if (input.confirmReference !== approvedPlan.customerReference) {
    throw new ErasureRefusedError(`Type the customer reference ${approvedPlan.customerReference} exactly to confirm the erasure`);
  }

  const signer = await loadArtefactSigner();
  // The certificate names a signed checkpoint covering everything that happened before execution.
  const checkpoint = await signedCheckpointNow();
  const staff = await staffNames([request.approvalRequestedById, request.approverId, actor.user.id]);

  return db.$transaction(
    async (tx) => {
      // One execution only: the version moves under a row lock, a second executor finds it moved.
      const claimed = await tx.privacyRequest.updateMany({
        where: { id: request.id, version: request.version, pendingAction: "erasure_execution", approverId: { not: null } },
        data: { version: { increment: 1 } },
      });
      if (claimed.count === 0) throw new ErasureRefusedError("The request changed while you were looking at it (executed, sent back or re-planned); reload the page");
      // Records being added for this customer (a decision ingested, a request filed) take a key-share
      // lock on its row: holding it for update waits for them and keeps new ones out until commit, so
      // the plan compared below is the complete one.
      await tx.$executeRaw`SELECT 1 FROM customer WHERE id = ${request.customerId}::uuid FOR UPDATE`;

      const subject = await loadSubjectRecords(tx, request);
      const plan = computeErasurePlan(subject, retentionPolicy, { now, policySha256: retentionPolicySha256 });
      if (plan.fingerprint !== approvedPlan.fingerprint) {
        throw new ErasureRefusedError(
          "The subject's records or their retention dates changed since the plan was approved: send the plan back and have the new plan approved",
        );
      }
      const customerId = subject.customerId;
      const personal = await readPersonalDataForSystem(tx, customerId, "erasure");
      // Read before the requests' contact columns are cleared and before the keys are destroyed.
      const requesterRows = await tx.privacyRequest.findMany({
        where: { id: { in: [request.id, ...subject.requestsWithContact, ...subject.privacyRequests.map((entry) => entry.id)] } },
        select: { id: true, customerId: true, requesterName: true, requesterEmail: true },
      });
      const requesterTexts = await decryptRequestTexts(
        tx,
        requesterRows.flatMap((row) => [{ request: row, value: row.requesterName }, { request: row, value: row.requesterEmail }]),
      );
      const requesters = requesterRows.map((_, index) => ({ fullName: requesterTexts[index * 2], email: requesterTexts[index * 2 + 1] }));
      const scrub = scrubber(personalDataNeedles(...(personal ? [personal] : []), ...(await rectifiedAwayValues(tx, customerId)), ...requesters));

      const erased = await eraseSubjectRecords(tx, recordsToEraseNow(plan));
      const keptRequestIds = [
        request.id,
        ...subject.requestsWithContact,
        ...subject.privacyRequests.map((entry) => entry.id).filter((id) => !recordsToEraseNow(plan).some((record) => record.id === id)),
      ];
      await scrubKeptText(tx, customerId, [...new Set(keptRequestIds)], scrub);
      // A debtor's identity and its data key stay, restricted, until the debt is settled or written off
      // plus its period (GDPR Art. 17(3)(b),(e)); the retention sweep erases them then.
      const isIdentityKept = keepsIdentityForDebt(plan);
      if (!isIdentityKept) await deletePersonalData(tx, customerId);
      const exports = await tx.privacyArtefact.deleteMany({ where: { kind: "access_export", request: { customerId } } });
      const [sealed] = await tx.$queryRaw<{ count: bigint }[]>`
        SELECT count(*) AS count FROM audit_event WHERE changes -> 'personal' ->> 'kid' = ${customerId}`;
      const destroyed = await destroySubjectKeys(tx, customerId, { data: !isIdentityKept, ledger: true }, now);
      const isKeyDestroyed = destroyed.ledgerKeyDestroyed;
      // Requests filed under the subject's e-mail but never matched carry the requester's own key.
      const unmatched = requesterRows.filter((row) => row.customerId === null).map((row) => row.id);
      for (const requestId of unmatched) await destroySubjectKeys(tx, requestId, { data: true, ledger: false }, now);

      const kept = keptGroupsOf(plan);
      for (const group of kept) {
        await tx.retainedRecord.create({
          data: {
            customerId,
            requestId: request.id,
            category: group.category,
            regionCode: subject.regionCode,
            legalBasis: group.basis,
            retainUntil: group.retainUntil ? new Date(group.retainUntil) : null,
            untilDebtSettledKeep: group.untilDebtSettled?.thenKeep ?? null,
            restricted: true,
          },
        });
      }
      // GDPR Art. 18(1)(b)/(c): what must be kept is restricted to the purpose it is kept for.
      await tx.customer.update({ where: { id: customerId }, data: { isRestricted: true, restrictedAt: now, erasedAt: now } });

      const certificate = await issueErasureCertificate(
        tx,
        signer,
        {
          requestId: request.id,
          requestReference: request.reference,
          regime: request.regime,
          receivedAt: request.receivedAt,
          executedAt: now,
          plan,
          proposedBy: staffEntry(staff.get(request.approvalRequestedById ?? ""), request.approvalRequestedAt),
          approvedBy: staffEntry(staff.get(request.approverId ?? ""), request.approvedAt),
          executedBy: staffEntry(staff.get(actor.user.id), now),
          subjectKeyDestroyed: isKeyDestroyed,
          sealedLedgerEvents: Number(sealed?.count ?? 0),
          checkpoint: checkpoint
            ? {
                treeSize: checkpoint.treeSize,
                rootHash: checkpoint.rootHash,
                signedAt: checkpoint.timestamp,
                keyFingerprint: checkpoint.keyFingerprint,
              }
            : null,
        },
        actor.user.id,
      );
      await tx.privacyRequest.update({ where: { id: request.id }, data: { erasurePlan: plan as never } });
      await completePrivacyRequest(tx, actor, request.id, { note: `Erasure executed; signed certificate ${certificate.fileName} (SHA-256 ${certificate.sha256}).`, isRecordedByCaller: true });
      await appendAuditEvent(tx, actor.audit, {
        action: "privacy_request.erasure_executed",
        subjectType: "PrivacyRequest",
        subjectId: request.id,
        regionCode: request.regionCode,
        justification: "Erasure executed as approved (four-eyes)",
        changes: {
          before: { state: request.state, customerErased: false },
          after: { state: "completed", customerErased: true, customerRestricted: true },
          customerId,
          customerReference: plan.customerReference,
          erased: { ...erased, accessExports: exports.count, personalData: personal && !isIdentityKept ? 1 : 0, requesterContacts: subject.requestsWithContact.length },
          identityKeptForDebt: isIdentityKept ? { outstanding: keptGroupsOf(plan).find((group) => group.untilDebtSettled)?.untilDebtSettled?.outstanding ?? {} } : null,
          kept: kept.map((group) => ({ category: group.category, records: group.records.length, retainUntil: group.retainUntil })),
          subjectKeyDestroyed: isKeyDestroyed,
          certificate: { id: certificate.id, sha256: certificate.sha256 },
          checkpointTreeSize: checkpoint ? Number(checkpoint.treeSize) : null,
        },
      });
      return { certificateId: certificate.id, plan };
    },
    { timeout: 60_000 },
  ).then(async (result) => {
    // The destroyed keys' and deleted rows' old versions leave the tables' pages now, not at the next
    // autovacuum (VACUUM cannot run inside the transaction). WAL and backups: docs/operations.md.
    await vacuumKeyTables(db, ["subject_data_key", "customer_personal_data", "privacy_request"]);
    return result;
  });
}
