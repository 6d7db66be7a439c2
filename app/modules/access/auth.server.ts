import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { newSessionId } from "~/utils/session.server";
import type { RequestMeta } from "~/utils/request-meta.server";
import { appendAuditEvent, type AuditContext } from "~/modules/audit/ledger.server";
import type { Role } from "~/generated/prisma/enums";
import { decoyPasswordHash, verifyPassword } from "./password.server";
import { accessPolicy } from "./policy.server";
import { generateTotpSecret, matchTotpStep, totpEnrolment } from "./totp.server";

// Staff sign-in (DESIGN.md §5): email + argon2id password, then TOTP where enrolled or required,
// throttled per address and per address+account (never per account alone, so strangers cannot lock
// anyone out), every outcome audited with the change it causes. An unknown email costs the same argon2
// verification as a wrong password, against a decoy hash with the same parameters.

export type SignInResult =
  | { ok: true; sessionId: string; next: "home" | "mfa_verify" | "mfa_enrol" }
  | { ok: false; reason: "invalid" | "rate_limited"; retryAfterMinutes?: number; retryAfterSeconds?: number };

function anonymousContext(meta: RequestMeta, label: string | null): AuditContext {
  return { actorType: "anonymous", actorId: null, actorLabel: label, actorRole: null, requestId: meta.requestId, ipAddress: meta.ipAddress };
}

export function staffContext(user: { id: string; email: string; role: Role }, meta: RequestMeta): AuditContext {
  return { actorType: "staff", actorId: user.id, actorLabel: user.email, actorRole: user.role, requestId: meta.requestId, ipAddress: meta.ipAddress };
}

export function isMfaRequired(role: Role) {
  return env.AUTH_REQUIRE_MFA && accessPolicy.roles[role].mfaRequired;
}

function normaliseEmail(email: string) {
  return email.trim().toLowerCase();
}

/**
 * Throttling of password (and TOTP) guesses, kept in the database so it holds across instances. It is
 * keyed by the client address and by address+account, never by the account alone: failures sent from
 * other addresses cannot lock anyone out (issue 13). Per address+account the delay doubles with each
 * failure past the allowance; per address a cap covers spraying many accounts; a global ceiling, when
 * the whole service sees a storm of failures, admits only addresses with no recent failure.
 */
async function recentFailures(email: string, ipAddress: string) {
  const now = Date.now();
  const since = new Date(now - env.LOGIN_WINDOW_MINUTES * 60_000);
  const [pair, byIp, oldestByIp, globalLastMinute] = await Promise.all([
    db.loginAttempt.aggregate({
      where: { email, ipAddress, succeeded: false, attemptedAt: { gte: since } },
      _count: { _all: true },
      _max: { attemptedAt: true },
    }),
    db.loginAttempt.count({ where: { ipAddress, succeeded: false, attemptedAt: { gte: since } } }),
    db.loginAttempt.findFirst({ where: { ipAddress, succeeded: false, attemptedAt: { gte: since } }, orderBy: { attemptedAt: "asc" }, select: { attemptedAt: true } }),
    db.loginAttempt.count({ where: { succeeded: false, attemptedAt: { gte: new Date(now - 60_000) } } }),
  ]);
  const windowEnd = (from: Date | undefined) => (from ? from.getTime() + env.LOGIN_WINDOW_MINUTES * 60_000 : now + env.LOGIN_WINDOW_MINUTES * 60_000);
  let retryAt = 0;
  if (byIp >= env.LOGIN_MAX_FAILURES_PER_IP) retryAt = Math.max(retryAt, windowEnd(oldestByIp?.attemptedAt));
  const pairFailures = pair._count._all;
  if (pairFailures >= env.LOGIN_MAX_FAILURES_PER_EMAIL && pair._max.attemptedAt) {
    const steps = Math.min(pairFailures - env.LOGIN_MAX_FAILURES_PER_EMAIL, 20);
    const delay = Math.min(env.LOGIN_DELAY_BASE_SECONDS * 1000 * 2 ** steps, env.LOGIN_WINDOW_MINUTES * 60_000);
    retryAt = Math.max(retryAt, pair._max.attemptedAt.getTime() + delay);
  }
  if (globalLastMinute >= env.LOGIN_GLOBAL_MAX_FAILURES_PER_MINUTE && byIp > 0) retryAt = Math.max(retryAt, now + 60_000);
  const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
  return { isLimited: retryAt > now, retryAfterSeconds, retryAfterMinutes: Math.ceil(retryAfterSeconds / 60) };
}

async function recordFailure(email: string, meta: RequestMeta, why: string, userId: string | null) {
  await db.$transaction(async (tx) => {
    await tx.loginAttempt.create({ data: { email, ipAddress: meta.ipAddress, succeeded: false } });
    await appendAuditEvent(tx, anonymousContext(meta, email), {
      action: "staff.sign_in_failed",
      subjectType: "StaffUser",
      subjectId: userId,
      changes: { reason: why },
    });
  });
}

export async function signIn(input: { email: string; password: string }, meta: RequestMeta): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const limit = await recentFailures(email, meta.ipAddress);
  if (limit.isLimited) {
    await recordFailure(email, meta, "rate_limited", null);
    return { ok: false, reason: "rate_limited", retryAfterMinutes: limit.retryAfterMinutes, retryAfterSeconds: limit.retryAfterSeconds };
  }

  const user = await db.staffUser.findUnique({ where: { email } });
  const isPasswordValid = await verifyPassword(user?.passwordHash ?? decoyPasswordHash, input.password);
  if (!user || !isPasswordValid || !user.isActive) {
    const why = !user ? "unknown_email" : !isPasswordValid ? "wrong_password" : "inactive_account";
    await recordFailure(email, meta, why, user?.id ?? null);
    return { ok: false, reason: "invalid" };
  }

  const next = user.totpEnrolledAt ? "mfa_verify" : isMfaRequired(user.role) ? "mfa_enrol" : "home";
  const sessionId = newSessionId();
  const now = new Date();
  await db.$transaction(async (tx) => {
    await tx.loginAttempt.create({ data: { email, ipAddress: meta.ipAddress, succeeded: true } });
    await tx.staffSession.create({
      data: {
        id: sessionId,
        userId: user.id,
        expiresAt: new Date(now.getTime() + env.SESSION_ABSOLUTE_HOURS * 3600_000),
        ipAddress: meta.ipAddress,
        userAgent: meta.userAgent?.slice(0, 400) ?? null,
      },
    });
    await tx.staffUser.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendAuditEvent(tx, staffContext(user, meta), {
      action: "staff.signed_in",
      subjectType: "StaffUser",
      subjectId: user.id,
      changes: { secondFactor: next === "home" ? "not_enrolled" : "pending" },
    });
  });
  return { ok: true, sessionId, next };
}

export interface SessionUser {
  sessionId: string;
  isMfaComplete: boolean;
  needsMfaEnrolment: boolean;
  user: { id: string; email: string; displayName: string; role: Role; regions: string[]; totpEnrolledAt: Date | null };
}

/** The live session behind a cookie, or null when it is unknown, revoked, expired or idle too long. */
export async function loadSession(sessionId: string): Promise<SessionUser | null> {
  const session = await db.staffSession.findUnique({
    where: { id: sessionId },
    include: { user: { include: { regions: { select: { regionCode: true } } } } },
  });
  const now = Date.now();
  if (!session || session.revokedAt || !session.user.isActive) return null;
  if (session.expiresAt.getTime() <= now) return null;
  if (session.lastSeenAt.getTime() + env.SESSION_IDLE_MINUTES * 60_000 <= now) return null;
  // Touch at most once a minute: the idle clock needs no more precision than that.
  if (now - session.lastSeenAt.getTime() > 60_000) {
    await db.staffSession.update({ where: { id: sessionId }, data: { lastSeenAt: new Date(now) } });
  }
  const { user } = session;
  const isEnrolled = user.totpEnrolledAt !== null;
  return {
    sessionId,
    isMfaComplete: isEnrolled ? session.mfaVerifiedAt !== null : !isMfaRequired(user.role),
    needsMfaEnrolment: !isEnrolled && isMfaRequired(user.role),
    user: {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      regions: user.regions.map((region) => region.regionCode).sort(),
      totpEnrolledAt: user.totpEnrolledAt,
    },
  };
}

export type MfaResult = { ok: true } | { ok: false; reason: "invalid" | "rate_limited" | "not_enrolled"; retryAfterMinutes?: number };

export async function verifySecondFactor(session: SessionUser, code: string, meta: RequestMeta): Promise<MfaResult> {
  const user = await db.staffUser.findUniqueOrThrow({ where: { id: session.user.id } });
  if (!user.totpSecret || !user.totpEnrolledAt) return { ok: false, reason: "not_enrolled" };
  const attemptKey = `totp:${user.email}`;
  const limit = await recentFailures(attemptKey, meta.ipAddress);
  if (limit.isLimited) return { ok: false, reason: "rate_limited", retryAfterMinutes: limit.retryAfterMinutes };

  const step = matchTotpStep(user.totpSecret, user.email, code);
  // RFC 6238 §5.2: a code is accepted once; a step at or before the last accepted one is a replay.
  const isReplay = step !== null && user.totpLastStep !== null && BigInt(step) <= user.totpLastStep;
  if (step === null || isReplay) {
    await db.$transaction(async (tx) => {
      await tx.loginAttempt.create({ data: { email: attemptKey, ipAddress: meta.ipAddress, succeeded: false } });
      await appendAuditEvent(tx, staffContext(user, meta), {
        action: "staff.mfa_failed",
        subjectType: "StaffUser",
        subjectId: user.id,
        changes: { reason: isReplay ? "replayed_code" : "wrong_code" },
      });
    });
    return { ok: false, reason: "invalid" };
  }
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({ where: { id: user.id }, data: { totpLastStep: BigInt(step) } });
    await tx.staffSession.update({ where: { id: session.sessionId }, data: { mfaVerifiedAt: new Date() } });
    await appendAuditEvent(tx, staffContext(user, meta), { action: "staff.mfa_verified", subjectType: "StaffUser", subjectId: user.id });
  });
  return { ok: true };
}

/** A fresh secret for the enrolment screen; it is stored only once a code from it is confirmed. */
export async function beginTotpEnrolment(session: SessionUser) {
  return totpEnrolment(generateTotpSecret(), session.user.email);
}

export async function confirmTotpEnrolment(session: SessionUser, secret: string, code: string, meta: RequestMeta): Promise<MfaResult> {
  if (session.user.totpEnrolledAt) return { ok: false, reason: "invalid" };
  const step = matchTotpStep(secret, session.user.email, code);
  if (step === null) return { ok: false, reason: "invalid" };
  await db.$transaction(async (tx) => {
    await tx.staffUser.update({
      where: { id: session.user.id },
      data: { totpSecret: secret, totpEnrolledAt: new Date(), totpLastStep: BigInt(step) },
    });
    await tx.staffSession.update({ where: { id: session.sessionId }, data: { mfaVerifiedAt: new Date() } });
    await appendAuditEvent(tx, staffContext(session.user, meta), { action: "staff.mfa_enrolled", subjectType: "StaffUser", subjectId: session.user.id });
  });
  return { ok: true };
}

export async function signOut(session: SessionUser, meta: RequestMeta) {
  await db.$transaction(async (tx) => {
    await tx.staffSession.update({ where: { id: session.sessionId }, data: { revokedAt: new Date() } });
    await appendAuditEvent(tx, staffContext(session.user, meta), { action: "staff.signed_out", subjectType: "StaffUser", subjectId: session.user.id });
  });
}
