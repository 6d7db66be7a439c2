import { createCookie, redirect } from "@remix-run/node";
import { isSecureCookie } from "~/utils/env.server";
import { readSessionId } from "~/utils/session.server";
import { requestMeta, type RequestMeta } from "~/utils/request-meta.server";
import type { AuditContext } from "~/modules/audit/ledger.server";
import { defineAbilityFor, subjectOf, type AppAbility } from "./ability.server";
import { loadSession, staffContext, type SessionUser } from "./auth.server";
import type { Action, SubjectName } from "./policy.server";

// requireActor(request) opens every loader and action: who is calling, what they may do (CASL,
// compiled for this request), and the metadata their audit events carry. A layout's check protects
// nothing, so every route calls this itself.

export interface Actor {
  sessionId: string;
  user: SessionUser["user"];
  ability: AppAbility;
  meta: RequestMeta;
  audit: AuditContext;
  /** The regions the viewer narrowed the screen to, always within their own regions. */
  regionFilter: string[];
}

export const regionFilterCookie = createCookie("attest_region_filter", {
  httpOnly: true,
  sameSite: "lax",
  secure: isSecureCookie,
  path: "/",
  maxAge: 60 * 60 * 24 * 180,
});

/** The regions the viewer narrowed the screen to (top-bar filter), always within `allowed`. */
export async function readRegionFilter(request: Request, allowed: string[]) {
  const value = (await regionFilterCookie.parse(request.headers.get("Cookie"))) as unknown;
  const chosen = Array.isArray(value) ? value.filter((code): code is string => typeof code === "string" && allowed.includes(code)) : [];
  return chosen.length > 0 ? chosen : allowed;
}

function signInRedirect(request: Request) {
  const url = new URL(request.url);
  const redirectTo = `${url.pathname}${url.search}`;
  const params = redirectTo === "/" ? "" : `?${new URLSearchParams({ redirectTo })}`;
  return redirect(`/login${params}`);
}

/** The signed-in staff member, even before their second factor (for the MFA screens only). */
export async function requireSession(request: Request): Promise<SessionUser> {
  const sessionId = await readSessionId(request);
  const session = sessionId ? await loadSession(sessionId) : null;
  if (!session) throw signInRedirect(request);
  return session;
}

export async function getOptionalSession(request: Request): Promise<SessionUser | null> {
  const sessionId = await readSessionId(request);
  return sessionId ? loadSession(sessionId) : null;
}

export async function requireActor(request: Request): Promise<Actor> {
  const session = await requireSession(request);
  if (!session.isMfaComplete) throw redirect("/login/mfa");
  const meta = requestMeta(request);
  return {
    sessionId: session.sessionId,
    user: session.user,
    ability: defineAbilityFor(session.user),
    meta,
    audit: staffContext(session.user, meta),
    regionFilter: await readRegionFilter(request, session.user.regions),
  };
}

export interface ForbiddenBody {
  kind: "forbidden";
  missingPermission: string;
  message: string;
}

export function forbidden(action: Action, subjectType: SubjectName, detail?: string): Response {
  const missingPermission = `${action} ${subjectType}${detail ? ` (${detail})` : ""}`;
  const body: ForbiddenBody = {
    kind: "forbidden",
    missingPermission,
    message: `Your role does not include the permission “${missingPermission}”.`,
  };
  return Response.json(body, { status: 403, statusText: "Forbidden" });
}

export function notFound(what: string): Response {
  return Response.json({ kind: "not_found", message: `${what} was not found.` }, { status: 404, statusText: "Not Found" });
}

/** Throws a 403 naming the missing permission unless the actor may do `action` on the subject type. */
export function requirePermission(actor: Actor, action: Action, subjectType: SubjectName, field?: string) {
  if (!actor.ability.can(action, subjectType as never, field)) throw forbidden(action, subjectType, field);
}

/** How each record type answers when it does not exist — and, identically, when it is out of scope. */
export const missingRecordLabels: Record<SubjectName, string> = {
  Decision: "That decision",
  Customer: "That customer",
  Review: "That review",
  RuleSetVersion: "That rule-set version",
  PrivacyRequest: "That privacy request",
  AuditEvent: "That ledger event",
  EvidencePack: "That evidence pack",
  FraudOutcome: "That fraud outcome",
  StaffUser: "That staff account",
  ApiToken: "That API token",
  SigningKey: "That signing key",
  Dashboard: "That dashboard",
  Ledger: "That ledger",
};

/** The 404 a record of this type gets when it is missing or outside the viewer's scope. */
export function recordNotFound(subjectType: SubjectName): Response {
  return notFound(missingRecordLabels[subjectType]);
}

/**
 * What a lookup that found nothing answers: the 403 a role without the permission on the type gets for
 * every id, else the type's 404 — so a missing record and an out-of-scope one look the same.
 */
export function missingRecord(actor: Actor, action: Action, subjectType: SubjectName): Response {
  return actor.ability.can(action, subjectType as never) ? recordNotFound(subjectType) : forbidden(action, subjectType);
}

/**
 * The same for one record: region and other conditions are checked on the row itself. A record the
 * actor may not even read answers exactly like a missing one (DESIGN.md §5: no existence or region
 * oracle); one they may read but not act on gets a 403 naming the permission, never the region.
 */
export function requireRecordPermission<T extends Record<string, unknown>>(
  actor: Actor,
  action: Action,
  subjectType: SubjectName,
  row: T,
) {
  // A role without the permission on any record of the type gets the same 403 for every id.
  if (!actor.ability.can(action, subjectType as never)) throw forbidden(action, subjectType);
  const instance = subjectOf(subjectType, row) as never;
  if (action !== "create" && !actor.ability.can("read", instance) && !actor.ability.can(action, instance)) {
    throw recordNotFound(subjectType);
  }
  if (!actor.ability.can(action, instance)) throw forbidden(action, subjectType);
}
