import { stringify } from "csv-stringify/sync";
import yazl from "yazl";
import { db, type Tx } from "~/utils/db.server";
import { canReadPersonalData, subjectOf } from "~/modules/access/ability.server";
import { forbidden, notFound, requireRecordPermission, type Actor, requirePermission } from "~/modules/access/actor.server";
import { findRegion } from "~/modules/access/regions.server";
import { auditActions, isAuditAction } from "~/modules/audit/actions";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { accessPolicy } from "~/modules/access/policy.server";
import type { Role } from "~/generated/prisma/enums";
import type { DecisionFeatureName } from "~/modules/decisions/features";
import { findReasonCode, getCustomerText, reasonCodeCatalogue, type NoticeLanguage } from "~/modules/decisions/reason-codes.server";
import { decryptFieldBytes, encryptField, isEncryptedField } from "~/modules/customers/field-crypto";
import { readPersonalDataForSystem } from "~/modules/customers/personal-data.server";
import { dataKeyOf, dataKeysOf } from "~/modules/customers/subject-keys.server";
import { decryptRequestTexts } from "~/modules/customers/subject-text.server";
import { decryptReviewFields } from "~/modules/decisions/review-text.server";
import { completePrivacyRequest } from "./privacy-requests.server";
import { reasonDirectionOf, reasonEffectOf } from "./reason-effect";
import { loadArtefactSigner, sha256Hex, type ArtefactSigner } from "./artefact-signing.server";

// The access and portability export (GDPR Art. 15 and 20, DESIGN.md §9): one zip of everything Attest
// holds about the subject — personal data, decisions with their reason codes in plain language and the
// logic and main factors of each automated decision (Art. 15(1)(h), CJEU C-203/22), reviews, contests
// and privacy requests — as JSON and CSV, with a manifest of SHA-256 hashes, a detached OpenPGP
// signature by the ledger key, the public key and VERIFY.md. Stored as a PrivacyArtefact; it holds
// personal data, so it is deleted when the subject is erased.

export const ACCESS_EXPORT_FORMAT = "attest-access-export/1";

export class AccessExportRefusedError extends Error {}

const featureLabels: Record<DecisionFeatureName, string> = {
  age: "Your age when you applied",
  orderAmount: "The amount of the purchase",
  requestedLimit: "The credit limit you asked for",
  merchantCategory: "The kind of shop",
  existingExposure: "What you already owed us at the time",
  bureauScore: "The score on your credit report from the credit bureau",
  creditHistoryMonths: "How many months of credit history your credit report shows",
  previousDelinquencies: "Earlier serious payment problems on your credit report",
  recentCreditInquiries: "Recent applications for credit on your credit report",
  internalLatePayments: "Late payments on earlier purchases with us",
  incomeVerified: "Whether your income was verified",
  verifiedMonthlyIncome: "Your verified monthly income",
  monthsAtAddress: "How long you have lived at your address",
  identityVerified: "Whether your identity was verified",
  accountAgeMonths: "How long you have had an account with us",
  fraudScore: "Fraud screening score",
  deviceRisk: "Device risk",
  velocity24h: "Purchases in the last 24 hours",
  shippingBillingMismatch: "Delivery and billing address differ",
  emailAgeDays: "Age of the email address",
};

const languageOf: Record<string, NoticeLanguage> = { SE: "sv", DE: "de", NL: "nl" };

// GDPR Art. 23(1)(d) and national fraud-prevention exemptions: naming the signals of a fraud model
// would tell a fraudster how to get past it, so fraud decisions show their outcome and the neutral text.
const FRAUD_WITHHELD =
  "The signals our fraud checks use are not disclosed: naming them would help others get past the checks (GDPR Art. 23(1)(d); fraud prevention). You can ask for a person to review this decision.";

type ScoreBands = { approveAbove?: number; declineBelow?: number };

function decisionLogic(decision: ExportDecision) {
  const parameters = (decision.ruleSetVersion?.parameters ?? null) as { scoreBands?: ScoreBands; fraudHoldAbove?: number } | null;
  const model = `The ${decision.modelName} model, version ${decision.modelVersion}`;
  const ruleSet = decision.ruleSetVersion
    ? `Rule set ${decision.ruleSetVersion.regionCode} version ${decision.ruleSetVersion.version}${decision.ruleSetVersion.effectiveFrom ? ` (in force from ${decision.ruleSetVersion.effectiveFrom.toISOString().slice(0, 10)})` : ""}`
    : "The rule-set version applied was not recorded with this decision";
  if (decision.kind === "fraud") {
    const threshold = parameters?.fraudHoldAbove;
    return `${model} estimated how likely the purchase was to be fraudulent. ${ruleSet}${threshold !== undefined ? ` holds a purchase for a fraud check when that estimate is above ${threshold}` : ""}. The outcome was "${decision.outcome.replace(/_/g, " ")}".`;
  }
  const bands = parameters?.scoreBands;
  const bandText =
    bands?.approveAbove !== undefined && bands.declineBelow !== undefined
      ? ` approves scores of ${bands.approveAbove} or more, declines scores below ${bands.declineBelow} and sends the scores in between to a person to decide`
      : "";
  return `${model} turned the information listed under "features" into a score between 0 and 1; a higher score means a lower expected risk that payments are missed. ${ruleSet}${bandText}. Your score was ${decision.score.toFixed(3)}, and the decision was "${decision.outcome.replace(/_/g, " ")}".`;
}

async function loadSubject(tx: Tx, customerId: string) {
  const stored = await loadCustomer(tx, customerId);
  // Decrypted in the app for the export (ADR 009); the export's own event records the read.
  const personalData = await readPersonalDataForSystem(tx, customerId, "access export");
  const texts = await decryptRequestTexts(
    tx,
    stored.privacyRequests.flatMap((request) => [request.details, request.extensionReason, request.refusalReason].map((value) => ({ request, value }))),
  );
  const reviews = stored.decisions.flatMap((decision) => decision.reviews);
  const reviewTexts = await decryptReviewFields(
    tx,
    reviews.map((review) => ({ owner: { customerId, privacyRequestId: review.privacyRequestId }, justification: review.justification, approvalRejectedReason: null })),
  );
  const justificationOf = new Map(reviews.map((review, index) => [review.id, reviewTexts[index]!.justification]));
  const customer = {
    ...stored,
    decisions: stored.decisions.map((decision) => ({
      ...decision,
      reviews: decision.reviews.map(({ justification: _stored, approvalRejectedReason: _sendBack, ...review }) => ({ ...review, justification: justificationOf.get(review.id) ?? null })),
    })),
    personalData,
    privacyRequests: stored.privacyRequests.map((request, index) => ({
      ...request,
      details: texts[index * 3] ?? null,
      extensionReason: texts[index * 3 + 1] ?? null,
      refusalReason: texts[index * 3 + 2] ?? null,
    })),
  };
  // CJEU C-579/21: the subject may learn when and why their data was consulted (not by whom).
  const accessLog = await tx.auditEvent.findMany({
    where: {
      OR: [
        { subjectType: "Customer", subjectId: customerId },
        { subjectType: "PrivacyRequest", subjectId: { in: customer.privacyRequests.map((request) => request.id) } },
      ],
    },
    orderBy: { seq: "asc" },
    select: { seq: true, occurredAt: true, action: true, actorType: true, actorRole: true },
  });
  return { ...customer, accessLog };
}

async function loadCustomer(tx: Tx, customerId: string) {
  return tx.customer.findUniqueOrThrow({
    where: { id: customerId },
    include: {
      decisions: {
        orderBy: { decidedAt: "asc" },
        include: {
          reasons: { orderBy: { position: "asc" } },
          ruleSetVersion: { select: { version: true, regionCode: true, effectiveFrom: true, parameters: true } },
          repayments: { orderBy: { observedAt: "asc" } },
          reviews: { orderBy: { openedAt: "asc" } },
          notices: { orderBy: { generatedAt: "asc" }, select: { locale: true, reasonCodes: true, generatedAt: true } },
        },
      },
      privacyRequests: { orderBy: { receivedAt: "asc" }, include: { decision: { select: { externalId: true } } } },
    },
  });
}

type Subject = Awaited<ReturnType<typeof loadSubject>>;
type ExportDecision = Subject["decisions"][number];

// GDPR Art. 15 and 18: a restriction limits processing by the lender, not the subject's own right of
// access, so the export of a restricted customer is complete (personal data included) and says so.
function buildDataFiles(subject: Subject) {
  const region = findRegion(subject.regionCode);
  const language = languageOf[subject.regionCode] ?? "en";
  const personal = subject.personalData;
  const subjectDocument = {
    customerReference: subject.reference,
    region: subject.regionCode,
    customerSince: subject.createdAt.toISOString(),
    processingRestricted: subject.isRestricted,
    objectedToProcessingAt: subject.objectedAt?.toISOString() ?? null,
    personalData: personal
      ? {
          fullName: personal.fullName,
          email: personal.email,
          phone: personal.phone,
          dateOfBirth: personal.dateOfBirth,
          address: { street: personal.street, postalCode: personal.postalCode, city: personal.city, country: personal.country },
          lastUpdated: personal.updatedAt.toISOString(),
        }
      : null,
  };

  const decisions = subject.decisions.map((decision) => {
    const isFraud = decision.kind === "fraud";
    const features = decision.features as Record<string, unknown>;
    const reasons = isFraud
      ? []
      : decision.reasons.map((reason) => {
          const known = findReasonCode(reason.code);
          const text = known ? getCustomerText(known, language) : null;
          return {
            position: reason.position,
            code: reason.code,
            explanation: text,
            explanationEnglish: known ? getCustomerText(known, "en") : null,
            effect: reasonEffectOf(reason.contribution),
            direction: reasonDirectionOf(reason.contribution),
            contribution: reason.contribution,
            basedOn: (known?.disclosable ? known.features : []).filter((name) => name in features).map((name) => ({ feature: name, label: featureLabels[name], value: features[name] ?? null })),
          };
        });
    return {
      externalId: decision.externalId,
      decidedAt: decision.decidedAt.toISOString(),
      kind: decision.kind,
      outcome: decision.outcome,
      amount: decision.amount.toString(),
      currency: decision.currency,
      automated: true,
      model: { name: decision.modelName, version: decision.modelVersion },
      ruleSet: decision.ruleSetVersion ? { region: decision.ruleSetVersion.regionCode, version: decision.ruleSetVersion.version } : null,
      score: isFraud ? null : decision.score,
      logic: decisionLogic(decision),
      mainFactors: isFraud ? { withheld: FRAUD_WITHHELD, customerText: reasonCodeCatalogue.neutralFraudText[language] ?? reasonCodeCatalogue.neutralFraudText.en } : reasons,
      features: isFraud
        ? null
        : Object.entries(features).map(([name, value]) => ({ feature: name, label: featureLabels[name as DecisionFeatureName] ?? name, value })),
      reviewState: decision.reviewState,
      noticesSent: decision.notices.map((notice) => ({ locale: notice.locale, reasonCodes: isFraud ? [] : notice.reasonCodes, generatedAt: notice.generatedAt.toISOString() })),
    };
  });

  const repayments = subject.decisions.flatMap((decision) =>
    decision.repayments.map((repayment) => ({
      decision: decision.externalId,
      reference: repayment.externalId,
      status: repayment.status,
      observedAt: repayment.observedAt.toISOString(),
      outstandingAmount: repayment.outstandingAmount.toString(),
      currency: decision.currency,
    })),
  );

  // Who reviewed is staff data, not the customer's; the verdict and its reasons are theirs.
  const reviews = subject.decisions.flatMap((decision) =>
    decision.reviews.map((review) => ({
      decision: decision.externalId,
      trigger: review.trigger,
      openedAt: review.openedAt.toISOString(),
      status: review.status,
      verdict: review.verdict,
      reason: decision.kind === "fraud" ? null : review.verdictReason,
      justification: decision.kind === "fraud" ? null : review.justification,
      decidedAt: review.decidedAt?.toISOString() ?? null,
      secondPersonApproved: review.approvedAt !== null,
      // A contest may be answered by a review that was already open for the decision (it is then linked).
      isContest: review.trigger === "contest" || review.privacyRequestId !== null,
    })),
  );

  const privacyRequests = subject.privacyRequests.map((request) => ({
    reference: request.reference,
    type: request.type,
    channel: request.channel,
    receivedAt: request.receivedAt.toISOString(),
    dueAt: (request.extendedDueAt ?? request.dueAt).toISOString(),
    extensionReason: request.extensionReason,
    state: request.state,
    contestedDecision: request.decision?.externalId ?? null,
    yourWords: request.details,
    completedAt: request.completedAt?.toISOString() ?? null,
    refusalReason: request.refusalReason,
  }));

  const accessLog = subject.accessLog.map((event) => ({
    at: event.occurredAt.toISOString(),
    what: isAuditAction(event.action) ? auditActions[event.action] : event.action,
    by: event.actorType === "staff" ? (event.actorRole ? accessPolicy.roles[event.actorRole as Role]?.label ?? event.actorRole : "staff") : event.actorType === "api_token" ? "an automated system (API)" : "Attest",
    ledgerSequence: Number(event.seq),
  }));

  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8");
  const csv = (rows: Record<string, unknown>[], columns: string[]) => Buffer.from(stringify(rows, { header: true, columns }), "utf8");

  return {
    language,
    regionName: region?.name ?? subject.regionCode,
    files: [
      { path: "data/subject.json", bytes: json(subjectDocument), describes: "Your identity and contact details as we hold them" },
      {
        path: "data/personal-data.csv",
        bytes: csv(
          personal ? [{ fullName: personal.fullName, email: personal.email, phone: personal.phone, dateOfBirth: subjectDocument.personalData!.dateOfBirth, street: personal.street, postalCode: personal.postalCode, city: personal.city, country: personal.country }] : [],
          ["fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city", "country"],
        ),
        describes: "The same details as one CSV row",
      },
      { path: "data/decisions.json", bytes: json(decisions), describes: "Every automated decision about you: outcome, model and rule set, the logic, the main factors and the information the model used" },
      {
        path: "data/decisions.csv",
        bytes: csv(
          decisions.map((decision) => ({
            externalId: decision.externalId,
            decidedAt: decision.decidedAt,
            kind: decision.kind,
            outcome: decision.outcome,
            amount: decision.amount,
            currency: decision.currency,
            model: decision.model.name,
            modelVersion: decision.model.version,
            ruleSetVersion: decision.ruleSet ? `${decision.ruleSet.region} v${decision.ruleSet.version}` : "",
            score: decision.score ?? "",
            principalReasons: Array.isArray(decision.mainFactors) ? decision.mainFactors.map((factor) => factor.explanationEnglish ?? factor.code).join(" | ") : decision.mainFactors.withheld,
          })),
          ["externalId", "decidedAt", "kind", "outcome", "amount", "currency", "model", "modelVersion", "ruleSetVersion", "score", "principalReasons"],
        ),
        describes: "One row per decision",
      },
      {
        path: "data/decision-reasons.csv",
        bytes: csv(
          decisions.flatMap((decision) =>
            Array.isArray(decision.mainFactors)
              ? decision.mainFactors.map((factor) => ({ decision: decision.externalId, position: factor.position, code: factor.code, explanation: factor.explanation ?? "", effect: factor.effect, direction: factor.direction }))
              : [],
          ),
          ["decision", "position", "code", "explanation", "effect", "direction"],
        ),
        describes: "The reasons behind each decision, most important first, in plain language",
      },
      {
        path: "data/decision-features.csv",
        bytes: csv(
          decisions.flatMap((decision) => (decision.features ?? []).map((feature) => ({ decision: decision.externalId, feature: feature.feature, label: feature.label, value: feature.value === null ? "" : String(feature.value) }))),
          ["decision", "feature", "label", "value"],
        ),
        describes: "The information each credit model used, as it saw it",
      },
      { path: "data/repayments.json", bytes: json(repayments), describes: "Installment status of your purchases" },
      { path: "data/repayments.csv", bytes: csv(repayments, ["decision", "reference", "status", "observedAt", "outstandingAmount", "currency"]), describes: "The same as CSV" },
      { path: "data/reviews.json", bytes: json(reviews), describes: "Human reviews of your decisions, including those you asked for (contests)" },
      { path: "data/reviews.csv", bytes: csv(reviews, ["decision", "trigger", "openedAt", "status", "verdict", "reason", "justification", "decidedAt", "secondPersonApproved", "isContest"]), describes: "The same as CSV" },
      { path: "data/access-log.csv", bytes: csv(accessLog, ["at", "what", "by", "ledgerSequence"]), describes: "When your data or your requests were consulted or changed, and by which role (each entry is in our audit ledger)" },
      { path: "data/privacy-requests.json", bytes: json(privacyRequests), describes: "Your privacy requests and contests and how they were answered" },
      {
        path: "data/privacy-requests.csv",
        bytes: csv(privacyRequests, ["reference", "type", "channel", "receivedAt", "dueAt", "extensionReason", "state", "contestedDecision", "yourWords", "completedAt", "refusalReason"]),
        describes: "The same as CSV",
      },
    ],
    counts: { decisions: decisions.length, repayments: repayments.length, reviews: reviews.length, privacyRequests: privacyRequests.length, accessLogEntries: accessLog.length },
  };
}

function verifyInstructions(reference: string, fingerprint: string) {
  return `# Verifying this export

This package was produced by Attest for privacy request ${reference}. It is signed with the OpenPGP key
whose fingerprint is

    ${fingerprint}

(the same key signs the audit ledger's checkpoints; it is published at /api/v1/audit/keys).

1. Check the signature on the manifest:

       gpg --import public-key.asc
       gpg --verify manifest.json.asc manifest.json

   GnuPG must report a good signature from the fingerprint above.

2. Check every file against its SHA-256 (run inside this folder):

       sha256sum -c SHA256SUMS

   Every line must say OK. \`manifest.json\` lists the same hashes (and that of SHA256SUMS) under "files",
   so the signature in step 1 covers every file.

What the files contain is described in manifest.json. JSON files are UTF-8; CSV files are UTF-8 with a
header row.
`;
}

async function zipFiles(folder: string, files: { path: string; bytes: Buffer }[], mtime: Date) {
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addBuffer(file.bytes, `${folder}/${file.path}`, { mtime });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Builds the signed package; pure apart from the signer. */
export async function buildAccessExportPackage(subject: Subject, request: { id: string; reference: string }, signer: ArtefactSigner, generatedAt: Date, generatedBy: { role: string }) {
  const data = buildDataFiles(subject);
  const verify = Buffer.from(verifyInstructions(request.reference, signer.fingerprint), "utf8");
  const publicKey = Buffer.from(signer.armoredPublicKey.endsWith("\n") ? signer.armoredPublicKey : `${signer.armoredPublicKey}\n`, "utf8");
  const hashed = [...data.files, { path: "VERIFY.md", bytes: verify, describes: "How to verify this package" }, { path: "public-key.asc", bytes: publicKey, describes: "The OpenPGP public key that signed manifest.json" }];
  const sums = Buffer.from(hashed.map((file) => `${sha256Hex(file.bytes)}  ${file.path}\n`).join(""), "utf8");
  const listed = [...hashed, { path: "SHA256SUMS", bytes: sums, describes: "SHA-256 of every file above, for sha256sum -c" }];
  const manifest = {
    format: ACCESS_EXPORT_FORMAT,
    request: request.reference,
    subject: { customerReference: subject.reference, region: subject.regionCode, regionName: data.regionName },
    generatedAt: generatedAt.toISOString(),
    generatedBy: { role: generatedBy.role, system: "Attest" },
    language: data.language,
    legalBasis: ["GDPR Art. 15 (right of access), including Art. 15(1)(h): logic and main factors of automated decisions", "GDPR Art. 20 (data portability)"],
    counts: data.counts,
    withheld: subject.decisions.some((decision) => decision.kind === "fraud") ? [FRAUD_WITHHELD] : [],
    signingKeyFingerprint: signer.fingerprint,
    files: listed.map((file) => ({ path: file.path, sha256: sha256Hex(file.bytes), size: file.bytes.length, describes: file.describes })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
  const manifestSignature = await signer.sign(manifestBytes);
  const folder = `attest-access-export-${request.reference}`;
  const zip = await zipFiles(
    folder,
    [...listed, { path: "manifest.json", bytes: manifestBytes }, { path: "manifest.json.asc", bytes: Buffer.from(manifestSignature, "utf8") }],
    generatedAt,
  );
  return { zip, folder, manifest, counts: data.counts };
}

function permissionRow(request: { id: string; regionCode: string; type: string; state: string; customerId: string | null }) {
  return { id: request.id, regionCode: request.regionCode, type: request.type, state: request.state, customerId: request.customerId };
}

async function findRequest(requestId: string) {
  const request = await db.privacyRequest.findUnique({
    where: { id: requestId },
    select: { id: true, reference: true, type: true, state: true, regionCode: true, customerId: true, identityState: true, version: true, customer: { select: { id: true, regionCode: true, erasedAt: true } } },
  });
  if (!request) throw notFound("That privacy request");
  return request;
}

/** The artefacts of a request (access exports and erasure certificates), newest first. */
export async function listPrivacyArtefacts(actor: Actor, requestId: string) {
  requirePermission(actor, "read", "PrivacyRequest");
  const request = await findRequest(requestId);
  requireRecordPermission(actor, "read", "PrivacyRequest", permissionRow(request));
  const artefacts = await db.privacyArtefact.findMany({
    where: { requestId },
    orderBy: { createdAt: "desc" },
    select: { id: true, kind: true, fileName: true, sha256: true, sizeBytes: true, createdAt: true, createdBy: { select: { displayName: true } } },
  });
  const canExport = actor.ability.can("export", subjectOf("PrivacyRequest", permissionRow(request)) as never);
  return {
    request: { id: request.id, reference: request.reference, type: request.type, state: request.state, regionCode: request.regionCode, identityState: request.identityState, isCustomerErased: Boolean(request.customer?.erasedAt), hasCustomer: Boolean(request.customer) },
    artefacts: artefacts.map(({ createdBy, ...artefact }) => ({ ...artefact, createdByName: createdBy?.displayName ?? null })),
    canGenerate: canExport && (request.type === "access" || request.type === "portability") && request.identityState === "verified" && Boolean(request.customer) && !request.customer?.erasedAt,
  };
}

/** Generates, signs and stores the export; optionally completes the request in the same transaction. */
export async function generateAccessExport(actor: Actor, requestId: string, options: { complete?: boolean } = {}, now = new Date()) {
  const request = await findRequest(requestId);
  requireRecordPermission(actor, "export", "PrivacyRequest", permissionRow(request));
  if (request.type !== "access" && request.type !== "portability") throw new AccessExportRefusedError(`${request.reference} is a ${request.type} request; exports answer access and portability requests`);
  if (!request.customer) throw new AccessExportRefusedError(`${request.reference} is not matched to a customer yet`);
  if (request.identityState !== "verified") throw new AccessExportRefusedError("The requester's identity must be verified before their data is exported (GDPR Art. 12(6))");
  if (request.customer.erasedAt) throw new AccessExportRefusedError("This customer was erased: there is no personal data left to export");
  if (request.state === "completed" || request.state === "refused") throw new AccessExportRefusedError(`${request.reference} is already ${request.state}`);
  // The export carries unmasked personal data: only a role granted every personal-data field may make it.
  if (!canReadPersonalData(actor.ability, request.customer)) throw forbidden("read", "Customer", "personal data");

  const signer = await loadArtefactSigner();
  return db.$transaction(
    async (tx) => {
      const subject = await loadSubject(tx, request.customer!.id);
      const built = await buildAccessExportPackage(subject, request, signer, now, { role: actor.user.role });
      const artefact = await tx.privacyArtefact.create({
        data: {
          requestId: request.id,
          kind: "access_export",
          fileName: `${built.folder}.zip`,
          contentType: "application/zip",
          // The export holds the subject's personal data: stored encrypted under their data key (ADR 009).
          content: encryptField(await dataKeyOf(tx, request.customer!.id), request.customer!.id, built.zip),
          sha256: sha256Hex(built.zip),
          sizeBytes: built.zip.length,
          signature: await signer.sign(built.zip),
          createdById: actor.user.id,
        },
        select: { id: true, fileName: true, sha256: true, sizeBytes: true },
      });
      if (options.complete) {
        const updated = await tx.privacyRequest.updateMany({ where: { id: request.id, version: request.version }, data: { version: { increment: 1 } } });
        if (updated.count === 0) throw new AccessExportRefusedError("The request changed while you were looking at it; reload the page");
        await completePrivacyRequest(tx, actor, request.id, { note: `Access export ${artefact.fileName} generated and sent (SHA-256 ${artefact.sha256}).`, isRecordedByCaller: true });
      }
      await appendAuditEvent(tx, actor.audit, {
        action: "privacy_request.access_export_generated",
        subjectType: "PrivacyRequest",
        subjectId: request.id,
        regionCode: request.regionCode,
        changes: {
          artefactId: artefact.id,
          sha256: artefact.sha256,
          sizeBytes: artefact.sizeBytes,
          customerId: request.customer!.id,
          counts: built.counts,
          ...(options.complete ? { before: { state: request.state }, after: { state: "completed" } } : {}),
        },
      });
      return artefact;
    },
    { timeout: 60_000 },
  );
}

/** An artefact's bytes: an access export is decrypted under its subject's data key, a certificate is plain. */
async function openArtefact(tx: Tx, customerId: string | null, content: Uint8Array) {
  if (!isEncryptedField(content)) return Buffer.from(content) as Buffer<ArrayBuffer>;
  const key = customerId ? (await dataKeysOf(tx, [customerId])).get(customerId) : null;
  if (!key) throw notFound("That file");
  return decryptFieldBytes(key, customerId!, content) as Buffer<ArrayBuffer>;
}

/**
 * One artefact's bytes (or its detached signature) for download, recorded in the ledger in the same
 * transaction as the read. Exports hold personal data: only a role that may export them downloads them;
 * certificates hold none and are readable by whoever may read the request.
 */
export async function downloadPrivacyArtefact(actor: Actor, requestId: string, artefactId: string, part: "file" | "signature") {
  requirePermission(actor, "read", "PrivacyRequest");
  const request = await findRequest(requestId);
  requireRecordPermission(actor, "read", "PrivacyRequest", permissionRow(request));
  const found = await db.privacyArtefact.findFirst({ where: { id: artefactId, requestId }, select: { kind: true } });
  if (!found) throw notFound("That file");
  if (found.kind === "access_export") requireRecordPermission(actor, "export", "PrivacyRequest", permissionRow(request));
  return db.$transaction(async (tx) => {
    const artefact = await tx.privacyArtefact.findFirst({ where: { id: artefactId, requestId } });
    // Erased between the two reads (an erasure deletes the subject's exports).
    if (!artefact) throw notFound("That file");
    await appendAuditEvent(tx, actor.audit, {
      action: "privacy_artefact.downloaded",
      subjectType: "PrivacyRequest",
      subjectId: request.id,
      regionCode: request.regionCode,
      changes: { artefactId: artefact.id, kind: artefact.kind, part, sha256: artefact.sha256 },
    });
    return part === "signature"
      ? { fileName: `${artefact.fileName}.asc`, contentType: "application/pgp-signature", body: Buffer.from(artefact.signature, "utf8") }
      : { fileName: artefact.fileName, contentType: artefact.contentType, body: await openArtefact(tx, request.customerId, artefact.content) };
  });
}
