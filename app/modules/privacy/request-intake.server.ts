import { randomBytes, randomUUID } from "node:crypto";
import { db, type Tx } from "~/utils/db.server";
import { subjectOf } from "~/modules/access/ability.server";
import { forbidden, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import type { ApiCaller } from "~/modules/access/api-tokens.server";
import { appendAuditEvent, type AuditContext } from "~/modules/audit/ledger.server";
import { findCustomersByBlindIndex } from "~/modules/customers/personal-data.server";
import { encryptRequestText, requesterEmailIndex } from "~/modules/customers/subject-text.server";
import { intakeRequestTypes, type PrivacyIntakeInput } from "./schema";
import { localDay, startOfLocalDay } from "./deadlines";
import { dueDatesInRegion, regimeForRegion } from "./regimes.server";
import { PrivacyRequestRefusedError, closedStates } from "./request-workflow.server";

// Intake of privacy requests from staff and the API: the regime's clock from receipt, matching the
// subject by reference or e-mail blind index, duplicates flagged, the requester's words encrypted.

interface IntakeCaller {
  audit: AuditContext;
  regions: string[];
}

/** A request's human reference: region, year of receipt and a random part (also used by contest intake). */
export function newPrivacyRequestReference(regionCode: string, receivedAt: Date) {
  return `PR-${regionCode}-${receivedAt.getUTCFullYear()}-${randomBytes(4).toString("hex").toUpperCase()}`;
}

export async function matchCustomer(tx: Tx, input: { regionCode: string; customerReference?: string; requesterEmail?: string }) {
  if (input.customerReference) {
    const customer = await tx.customer.findUnique({ where: { reference: input.customerReference }, select: { id: true, regionCode: true } });
    if (!customer || customer.regionCode !== input.regionCode) {
      // A customer of another region is reported exactly like an unknown one: the caller may not learn it exists.
      throw new PrivacyRequestRefusedError(`no customer of region ${input.regionCode} has the reference ${input.customerReference}`, "customerReference", 422);
    }
    return { customerId: customer.id, matchedBy: "customer_reference" as const };
  }
  if (input.requesterEmail) {
    // By the e-mail's blind index: the database holds no searchable plain address (ADR 009).
    const candidates = await findCustomersByBlindIndex(tx, { email: input.requesterEmail }, { regionCode: input.regionCode, take: 2 });
    // Two customers with one address cannot be told apart here; a person matches it by hand.
    if (candidates.length === 1) return { customerId: candidates[0]!, matchedBy: "email" as const };
  }
  return { customerId: null, matchedBy: null };
}

/** An open request of the same type for the same subject, which this one duplicates. */
export async function findOriginal(tx: Tx, customerId: string, type: string, exceptId?: string) {
  // Serialise intake per subject so two simultaneous requests cannot both miss each other.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`privacy-intake:${customerId}`}, 0))`;
  return tx.privacyRequest.findFirst({
    where: {
      customerId,
      type: type as never,
      state: { notIn: [...closedStates] },
      ...(exceptId ? { id: { not: exceptId } } : {}),
    },
    orderBy: [{ receivedAt: "asc" }, { id: "asc" }],
    select: { id: true, reference: true },
  });
}

function receivedInstant(input: PrivacyIntakeInput, timeZone: string, now: Date) {
  if (input.receivedAt) {
    if (input.receivedAt.getTime() > now.getTime() + 60_000) throw new PrivacyRequestRefusedError("a request cannot be received in the future", "receivedAt", 422);
    return input.receivedAt;
  }
  if (input.receivedOn) {
    const today = localDay(now, timeZone);
    if (input.receivedOn > today) throw new PrivacyRequestRefusedError(`the day received cannot be after today (${today} in ${timeZone})`, "receivedOn", 422);
    return input.receivedOn === today ? now : startOfLocalDay(input.receivedOn, timeZone);
  }
  return now;
}

async function receiveRequest(caller: IntakeCaller, input: PrivacyIntakeInput, createdBy: string | null) {
  const { regimeKey, timeZone } = regimeForRegion(input.regionCode);
  const now = new Date();
  const receivedAt = receivedInstant(input, timeZone, now);
  if (now.getTime() - receivedAt.getTime() > 366 * 86_400_000) {
    throw new PrivacyRequestRefusedError("a request received more than a year ago cannot be logged as new", input.receivedAt ? "receivedAt" : "receivedOn", 422);
  }
  // Every regime's clock runs from receipt until something moves it: under UK GDPR Art. 12A the arrival
  // of identity information asked for (or of a fee) starts it again from that day.
  const clockStartedAt = receivedAt;
  const { dueAt } = dueDatesInRegion(input.regionCode, { clockStartedAt, now });
  return db.$transaction(async (tx) => {
    const { customerId, matchedBy } = await matchCustomer(tx, input);
    const original = customerId ? await findOriginal(tx, customerId, input.type) : null;
    // The requester's words and contact details are encrypted under the matched customer's key, or under
    // a key of the requester's own until the request is matched (ADR 009).
    const id = randomUUID();
    const subject = { id, customerId };
    const created = await tx.privacyRequest.create({
      data: {
        id,
        reference: newPrivacyRequestReference(input.regionCode, receivedAt),
        type: input.type,
        customerId,
        regionCode: input.regionCode,
        regime: regimeKey,
        channel: input.channel,
        details: await encryptRequestText(tx, subject, input.details),
        requesterName: await encryptRequestText(tx, subject, input.requesterName),
        requesterEmail: await encryptRequestText(tx, subject, input.requesterEmail),
        requesterEmailIndex: await requesterEmailIndex(tx, input.requesterEmail),
        duplicateOfId: original?.id ?? null,
        receivedAt,
        clockStartedAt,
        dueAt,
        notes: createdBy && original
          ? { create: { authorId: createdBy, body: await encryptRequestText(tx, subject, `Flagged at intake as a duplicate of ${original.reference} (an open ${input.type} request of the same customer).`) } }
          : undefined,
      },
      select: { id: true, reference: true, state: true, regionCode: true, dueAt: true, duplicateOfId: true, customerId: true, identityState: true },
    });
    await appendAuditEvent(tx, caller.audit, {
      action: "privacy_request.received",
      subjectType: "PrivacyRequest",
      subjectId: created.id,
      regionCode: input.regionCode,
      changes: {
        after: {
          reference: created.reference,
          type: input.type,
          channel: input.channel,
          regime: regimeKey,
          customerId,
          matchedBy,
          duplicateOf: original?.reference ?? null,
          receivedAt: receivedAt.toISOString(),
          dueAt: dueAt.toISOString(),
        },
      },
      // The requester's contact details are personal data: sealed under the subject's key when known.
      personalData:
        customerId && (input.requesterName || input.requesterEmail)
          ? { customerId, fields: { requesterName: input.requesterName ?? null, requesterEmail: input.requesterEmail ?? null } }
          : undefined,
    });
    return { ...created, duplicateOf: original?.reference ?? null, matchedBy };
  });
}

/**
 * The request types the actor may log through staff intake in at least one of their regions. A
 * compliance officer may create contests only (from the decision page), so has no intake form.
 */
export function intakeTypesFor(actor: Actor) {
  return intakeRequestTypes.filter((type) =>
    actor.user.regions.some((regionCode) => actor.ability.can("create", subjectOf("PrivacyRequest", { type, regionCode }) as never)),
  );
}

export function requireIntakePermission(actor: Actor) {
  const types = intakeTypesFor(actor);
  if (types.length === 0) throw forbidden("create", "PrivacyRequest", "data-protection request intake");
  return types;
}

/** Staff intake (`/privacy/new`): the DPO logs a request received by mail, phone or post. */
export async function createPrivacyRequest(actor: Actor, input: PrivacyIntakeInput) {
  requireIntakePermission(actor);
  requireRecordPermission(actor, "create", "PrivacyRequest", { regionCode: input.regionCode, type: input.type });
  return receiveRequest({ audit: actor.audit, regions: actor.user.regions }, input, actor.user.id);
}

/** API intake (`POST /api/v1/privacy-requests`): a token with privacy:write, limited to its regions. */
export async function receivePrivacyRequestFromApi(caller: ApiCaller, input: PrivacyIntakeInput) {
  if (!caller.regions.includes(input.regionCode)) {
    throw new PrivacyRequestRefusedError(`the API token may not submit requests for region ${input.regionCode} (its regions: ${caller.regions.join(", ") || "none"})`, "regionCode", 403);
  }
  return receiveRequest({ audit: caller.audit, regions: caller.regions }, input, null);
}
