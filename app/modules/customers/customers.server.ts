import { db } from "~/utils/db.server";
import { accessibleWhere, canReadPersonalData, maskPersonalData, subjectOf } from "~/modules/access/ability.server";
import { notFound, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { isProcessingRestricted } from "~/modules/privacy/restriction";

// A data subject as staff see them: pseudonymous reference and region for everyone with access,
// personal data only for roles the policy grants those fields (masked on the server otherwise), and
// every unmasked read recorded in the ledger in the same transaction as the read (DESIGN.md §6).

const RECENT_DECISIONS = 20;

const customerSelect = { id: true, reference: true, regionCode: true, createdAt: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } as const;

const personalDataSelect = {
  fullName: true,
  email: true,
  phone: true,
  dateOfBirth: true,
  street: true,
  postalCode: true,
  city: true,
  country: true,
  updatedAt: true,
} as const;

export async function getCustomer(actor: Actor, customerId: string) {
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: customerSelect });
  if (!customer) throw notFound("That customer");
  requireRecordPermission(actor, "read", "Customer", customer);

  // GDPR Art. 18: a restricted customer's personal data is withheld from everyone but the roles that
  // handle the restriction itself (the DPO), who still see it only through the audited read below.
  const isWithheld = isProcessingRestricted(customer) && !actor.ability.can("restrict", subjectOf("Customer", customer) as never);
  const isUnmasked = !isWithheld && canReadPersonalData(actor.ability, customer);
  const stored = isWithheld
    ? null
    : isUnmasked
    ? await db.$transaction(async (tx) => {
        const row = await tx.customerPersonalData.findUnique({ where: { customerId }, select: personalDataSelect });
        if (row) {
          await appendAuditEvent(tx, actor.audit, {
            action: "customer.personal_data_read",
            subjectType: "Customer",
            subjectId: customer.id,
            regionCode: customer.regionCode,
          });
        }
        return row;
      })
    : await db.customerPersonalData.findUnique({ where: { customerId }, select: personalDataSelect });

  const personalData = stored
    ? maskPersonalData(actor.ability, customer, {
        fullName: stored.fullName,
        email: stored.email,
        phone: stored.phone,
        dateOfBirth: stored.dateOfBirth.toISOString().slice(0, 10),
        street: stored.street,
        postalCode: stored.postalCode,
        city: stored.city,
        country: stored.country,
      })
    : null;

  const decisionWhere = {
    AND: [accessibleWhere(actor.ability, "read", "Decision"), regionScope(actor), { customerId }],
  };
  const canReadDecisions = actor.ability.can("read", "Decision");
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

  return {
    customer,
    isPersonalDataWithheld: isWithheld,
    personalData: personalData ? { ...personalData.data, isMasked: personalData.isMasked } : null,
    decisions: decisions?.map((decision) => ({ ...decision, amount: decision.amount.toString() })) ?? null,
    decisionCount,
    privacyRequests,
  };
}
