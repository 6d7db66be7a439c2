import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "~/modules/access/auth.server";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { fixturePassword, personas } from "../fixtures/staff";
import { createTestStaff, requestMetaFor } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize } from "./helpers/ledger";

// Password guessing is rate-limited per account and per address, in the database so it holds across
// app instances (DESIGN.md §5). Once limited, even the right password is refused until the window ends.

let guessed: Awaited<ReturnType<typeof createTestStaff>>;
let returning: Awaited<ReturnType<typeof createTestStaff>>;
let sprayed: Awaited<ReturnType<typeof createTestStaff>>;

beforeAll(async () => {
  guessed = await createTestStaff("compliance_officer", ["SE"], "guessed");
  returning = await createTestStaff("auditor", ["SE"], "returning");
  sprayed = await createTestStaff("dpo", ["SE"], "sprayed");
});

const attempt = (email: string, password: string, ip: string) => signIn({ email, password }, requestMetaFor("rate-limit", ip));

describe("login rate limiting", () => {
  it("refuses the right password after the configured number of failures for that account", async () => {
    const email = guessed.email;
    const startedAt = new Date();
    const limit = env.LOGIN_MAX_FAILURES_PER_EMAIL;
    expect(limit).toBe(5);
    // Spread over several addresses, as a distributed guesser would.
    for (let i = 0; i < limit; i++) {
      expect(await attempt(email, `guess-${i}`, `192.0.2.${10 + i}`)).toEqual({ ok: false, reason: "invalid" });
    }
    const before = await ledgerSize();
    const limited = await attempt(email, fixturePassword, "192.0.2.99");
    expect(limited).toMatchObject({ ok: false, reason: "rate_limited" });
    expect(limited.ok === false && limited.retryAfterMinutes).toBeGreaterThanOrEqual(1);
    expect(limited.ok === false && limited.retryAfterMinutes).toBeLessThanOrEqual(env.LOGIN_WINDOW_MINUTES);
    // No session was created, and the refusal is on the record.
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.sign_in_failed", actorLabel: email, ipAddress: "192.0.2.99" });
    expect(changesOf(event!)).toEqual({ reason: "rate_limited" });
    expect(await db.staffSession.count({ where: { userId: guessed.id, createdAt: { gte: startedAt } } })).toBe(0);
  });

  it("does not lock out a colleague signing in from the same office", async () => {
    const result = await attempt(personas.auditor.email, fixturePassword, "192.0.2.10");
    expect(result.ok).toBe(true);
  });

  it("lets the account in again once the failures are older than the window", async () => {
    const email = returning.email;
    const old = new Date(Date.now() - (env.LOGIN_WINDOW_MINUTES + 1) * 60_000);
    await db.loginAttempt.createMany({
      data: Array.from({ length: 10 }, () => ({ email, ipAddress: "192.0.2.150", succeeded: false, attemptedAt: old })),
    });
    expect((await attempt(email, fixturePassword, "192.0.2.150")).ok).toBe(true);
  });

  it("refuses every account from an address that has failed too often", async () => {
    const ip = "192.0.2.200";
    const limit = env.LOGIN_MAX_FAILURES_PER_IP;
    await db.loginAttempt.createMany({
      data: Array.from({ length: limit }, (_, i) => ({ email: `spray-${i}@attest.test`, ipAddress: ip, succeeded: false })),
    });
    expect(await attempt(sprayed.email, fixturePassword, ip)).toMatchObject({ ok: false, reason: "rate_limited" });
    // The same account from elsewhere is unaffected.
    expect((await attempt(sprayed.email, fixturePassword, "192.0.2.201")).ok).toBe(true);
  });
});
