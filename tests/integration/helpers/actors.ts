import crypto from "node:crypto";
import type { Role } from "~/generated/prisma/enums";
import { requireActor, type Actor } from "~/modules/access/actor.server";
import { signIn } from "~/modules/access/auth.server";
import { hashPassword } from "~/modules/access/password.server";
import { db } from "~/utils/db.server";
import type { RequestMeta } from "~/utils/request-meta.server";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER } from "~/utils/request-meta.server";
import { commitSessionId } from "~/utils/session.server";
import { fixturePassword, personas, type PersonaName } from "../../fixtures/staff";

// Signed-in actors for module-level tests, made the way a request makes them: signIn with the
// password, then requireActor on a request carrying the session cookie.

export function requestMetaFor(label: string, ipAddress = "198.51.100.10"): RequestMeta {
  return { requestId: `test-${label}-${crypto.randomUUID()}`, ipAddress, userAgent: "attest-integration-tests" };
}

/** A request to `path` as the holder of `sessionId`, with the headers server.ts would set. */
export async function requestWithSession(sessionId: string, path = "/", ipAddress = "198.51.100.10") {
  const cookie = (await commitSessionId(sessionId)).split(";")[0]!;
  return new Request(`http://attest.test${path}`, {
    headers: { Cookie: cookie, [REQUEST_ID_HEADER]: crypto.randomUUID(), [CLIENT_IP_HEADER]: ipAddress, "User-Agent": "attest-integration-tests" },
  });
}

export async function signInAs(email: string, password = fixturePassword, ipAddress = "198.51.100.10") {
  const result = await signIn({ email, password }, requestMetaFor(`sign-in-${email}`, ipAddress));
  if (!result.ok) throw new Error(`sign-in as ${email} failed: ${result.reason}`);
  return result.sessionId;
}

/** A fully signed-in actor for one of the demo personas (MFA is off in this suite). */
export async function actorFor(persona: PersonaName, ipAddress?: string): Promise<Actor> {
  const sessionId = await signInAs(personas[persona].email, fixturePassword, ipAddress);
  return requireActor(await requestWithSession(sessionId, "/", ipAddress));
}

/** Runs `fn` and returns the Response it threw (requireActor, forbidden and notFound throw Responses). */
export async function thrownResponse(fn: () => unknown): Promise<Response> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Response) return error;
    throw error;
  }
  throw new Error("expected a thrown Response, but the call succeeded");
}

/**
 * A staff account of its own for a test that locks, enrols or deactivates it, so the demo personas
 * other files sign in with are never left rate-limited or MFA-enrolled.
 */
export async function createTestStaff(role: Role, regions: string[], label: string) {
  const email = `${label}.${crypto.randomBytes(4).toString("hex")}@attest.test`;
  const user = await db.staffUser.create({
    data: {
      email,
      displayName: `Test ${label}`,
      role,
      passwordHash: await hashPassword(fixturePassword),
      regions: { create: regions.map((regionCode) => ({ regionCode })) },
    },
  });
  return { id: user.id, email, password: fixturePassword };
}
