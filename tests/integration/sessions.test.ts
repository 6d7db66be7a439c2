import { describe, expect, it } from "vitest";
import { requireActor } from "~/modules/access/actor.server";
import { loadSession } from "~/modules/access/auth.server";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { personas } from "../fixtures/staff";
import { requestWithSession, signInAs, thrownResponse } from "./helpers/actors";

// Sessions end by themselves: after SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS
// after sign-in, whatever the cookie says (the cookie only carries the id of the server-side row).

const minutes = (n: number) => n * 60_000;

async function backdate(sessionId: string, fields: { lastSeenAt?: Date; expiresAt?: Date }) {
  await db.staffSession.update({ where: { id: sessionId }, data: fields });
}

describe("session time-outs", () => {
  it("starts a session that expires SESSION_ABSOLUTE_HOURS after sign-in", async () => {
    const sessionId = await signInAs(personas.auditor.email);
    const row = await db.staffSession.findUniqueOrThrow({ where: { id: sessionId } });
    const lifetime = row.expiresAt.getTime() - row.createdAt.getTime();
    expect(Math.abs(lifetime - env.SESSION_ABSOLUTE_HOURS * 3600_000)).toBeLessThan(5_000);
    expect(row.revokedAt).toBeNull();
  });

  it("keeps an active session and moves its idle clock forward", async () => {
    const sessionId = await signInAs(personas.auditor.email);
    const lastSeen = new Date(Date.now() - minutes(env.SESSION_IDLE_MINUTES - 5));
    await backdate(sessionId, { lastSeenAt: lastSeen });
    const session = await loadSession(sessionId);
    expect(session?.user.email).toBe(personas.auditor.email);
    const row = await db.staffSession.findUniqueOrThrow({ where: { id: sessionId } });
    expect(row.lastSeenAt.getTime()).toBeGreaterThan(Date.now() - minutes(1));
  });

  it("ends a session left idle longer than SESSION_IDLE_MINUTES", async () => {
    const sessionId = await signInAs(personas.auditor.email);
    await backdate(sessionId, { lastSeenAt: new Date(Date.now() - minutes(env.SESSION_IDLE_MINUTES + 1)) });
    expect(await loadSession(sessionId)).toBeNull();
    // Every page then sends the person back to sign in, to return where they were.
    const response = await thrownResponse(async () => requireActor(await requestWithSession(sessionId, "/decisions?outcome=declined")));
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe(`/login?${new URLSearchParams({ redirectTo: "/decisions?outcome=declined" })}`);
  });

  it("ends a session past its absolute lifetime even if it was used a minute ago", async () => {
    const sessionId = await signInAs(personas.auditor.email);
    await backdate(sessionId, { lastSeenAt: new Date(Date.now() - minutes(1)), expiresAt: new Date(Date.now() - 1000) });
    expect(await loadSession(sessionId)).toBeNull();
  });

  it("does not accept a forged or unknown session id", async () => {
    expect(await loadSession("not-a-real-session-id")).toBeNull();
    const forged = new Request("http://attest.test/", { headers: { Cookie: "__attest_session=made-up-value" } });
    const response = await thrownResponse(() => requireActor(forged));
    expect(response.headers.get("Location")).toBe("/login");
  });
});
