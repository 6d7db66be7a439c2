import { db } from "~/utils/db.server";
import { accessibleWhere, canReadPersonalData, subjectOf } from "~/modules/access/ability.server";
import { isProcessingRestricted } from "~/modules/privacy/restriction";
import { requireRecordPermission, type Actor, missingRecord } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { encryptedPersonalFields, readPersonalData, type EncryptedPersonalField } from "./personal-data.server";

// A data subject as staff see them: pseudonymous reference and region for everyone with access,
// personal data only for roles the policy grants those fields (decrypted in the app; other roles get
// neither ciphertext nor plain text, only the mask), and every unmasked read recorded in the ledger in
// the same transaction as the read (DESIGN.md §6, ADR 009).

const RECENT_DECISIONS = 20;
const MASK = "••••••";

const customerSelect = { id: true, reference: true, regionCode: true, createdAt: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } as const;

export async function getCustomer(actor: Actor, customerId: string) {
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: customerSelect });
  if (!customer) throw missingRecord(actor, "read", "Customer");
  requireRecordPermission(actor, "read", "Customer", customer);

  // GDPR Art. 18: a restricted customer's personal data is withheld from everyone but the roles that
  // handle the restriction itself (the DPO), who still see it only through the audited read.
  const view = (await db.$transaction((tx) => readPersonalData(tx, [customerId], { actor, purpose: "customer page" }))).get(customerId);
  const isWithheld = view?.status === "withheld";
  const personalData =
    view?.status === "shown"
      ? {
          ...(Object.fromEntries(encryptedPersonalFields.map((field) => [field, view.data[field] ?? MASK])) as Record<EncryptedPersonalField, string>),
          country: view.country,
          updatedAt: view.updatedAt,
          isMasked: view.maskedFields.length > 0,
        }
      : null;

  const decisionWhere = {
    AND: [accessibleWhere(actor.ability, "read", "Decision"), regionScope(actor), { customerId }],
  };
  // ADR 007, as on the decision page: linking a restricted customer's decisions together is processing,
  // so the list is withheld from all but the roles that handle the restriction (the DPO).
  const isLinkingWithheld = isProcessingRestricted(customer) && !actor.ability.can("restrict", subjectOf("Customer", customer) as never);
  const canReadDecisions = actor.ability.can("read", "Decision") && !isLinkingWithheld;
  const canReadPrivacy = actor.ability.can("read", "PrivacyRequest");
  const [decisions, decisionCount, privacyRequests] = await Promise.all([
    canReadDecisions
      ? db.decision.findMany({
          where: decisionWhere,
          orderBy: [{ decidedAt: "desc" }, { id: "desc" }],
          take: RECENT_DECISIONS,
          select: { id: true, externalId: true, decidedAt: true, kind: true, outcome: true, score: true, amount: true, currency: true, reviewState: true },
        })
      : null,
    canReadDecisions ? db.decision.count({ where: decisionWhere }) : 0,
    canReadPrivacy
      ? db.privacyRequest.findMany({
          where: { AND: [accessibleWhere(actor.ability, "read", "PrivacyRequest"), regionScope(actor), { customerId }] },
          orderBy: { receivedAt: "desc" },
          select: { id: true, reference: true, type: true, state: true, receivedAt: true, dueAt: true, extendedDueAt: true, assignee: { select: { displayName: true } } },
        })
      : null,
  ]);

  // When the restriction or objection began says something about the person: only for roles that read
  // their personal data (issue 13); everyone else sees the flag alone.
  const { restrictedAt, objectedAt, ...facts } = customer;
  const mayReadPersonalData = canReadPersonalData(actor.ability, customer);
  return {
    customer: { ...facts, hasObjected: objectedAt !== null, restrictedAt: mayReadPersonalData ? restrictedAt : null, objectedAt: mayReadPersonalData ? objectedAt : null },
    isDecisionListWithheld: isLinkingWithheld && actor.ability.can("read", "Decision"),
    isPersonalDataWithheld: isWithheld,
    personalData,
    decisions: decisions?.map((decision) => ({ ...decision, amount: decision.amount.toString() })) ?? null,
    decisionCount,
    privacyRequests,
  };
}
