import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { signIn } from "~/modules/access/auth.server";
import { decoyPasswordHash } from "~/modules/access/password.server";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { fixturePassword, personas } from "../fixtures/staff";
import { createTestStaff, requestMetaFor } from "./helpers/actors";
import { changesOf, eventsSince, ledgerSize } from "./helpers/ledger";

// Password guessing is throttled per address and per address+account, in the database so it holds
// across app instances (DESIGN.md §5). Never per account alone: a stranger sending wrong passwords for
// someone's email from elsewhere must not lock that person out (issue 13).

let guessed: Awaited<ReturnType<typeof createTestStaff>>;
let targeted: Awaited<ReturnType<typeof createTestStaff>>;
let returning: Awaited<ReturnType<typeof createTestStaff>>;
let sprayed: Awaited<ReturnType<typeof createTestStaff>>;
let stormed: Awaited<ReturnType<typeof createTestStaff>>;

beforeAll(async () => {
  guessed = await createTestStaff("compliance_officer", ["SE"], "guessed");
  targeted = await createTestStaff("dpo", ["SE"], "targeted");
  returning = await createTestStaff("auditor", ["SE"], "returning");
  sprayed = await createTestStaff("dpo", ["SE"], "sprayed");
  stormed = await createTestStaff("auditor", ["SE"], "stormed");
});

const stormAddresses = "198.18.%";
afterEach(async () => {
  // The global-ceiling test floods the table; leave nothing that could slow other files down.
  await db.$executeRaw`DELETE FROM login_attempt WHERE ip_address LIKE ${stormAddresses}`;
});

const attempt = (email: string, password: string, ip: string) => signIn({ email, password }, requestMetaFor("rate-limit", ip));

describe("no stranger can lock anyone out", () => {
  it("lets the right password in from the person's own address after many failures for their account from elsewhere", async () => {
    const limit = env.LOGIN_MAX_FAILURES_PER_EMAIL;
    // Twice the allowance, spread over addresses and repeated from some of them, as an attacker would.
    for (let i = 0; i < limit * 2; i++) {
      expect((await attempt(targeted.email, `guess-${i}`, `192.0.2.${10 + (i % 3)}`)).ok).toBe(false);
    }
    const result = await attempt(targeted.email, fixturePassword, "203.0.113.77");
    expect(result.ok).toBe(true);
  });
});

describe("growing delays per address and account", () => {
  it("refuses even the right password from the guessing address once the allowance is used, and records why", async () => {
    const email = guessed.email;
    const ip = "192.0.2.99";
    const startedAt = new Date();
    for (let i = 0; i < env.LOGIN_MAX_FAILURES_PER_EMAIL; i++) {
      expect(await attempt(email, `guess-${i}`, ip)).toEqual({ ok: false, reason: "invalid" });
    }
    const before = await ledgerSize();
    const limited = await attempt(email, fixturePassword, ip);
    expect(limited).toMatchObject({ ok: false, reason: "rate_limited" });
    const firstDelay = limited.ok === false ? limited.retryAfterSeconds! : 0;
    expect(firstDelay).toBeGreaterThan(env.LOGIN_DELAY_BASE_SECONDS / 2);
    expect(firstDelay).toBeLessThanOrEqual(env.LOGIN_DELAY_BASE_SECONDS);
    const [event] = await eventsSince(before);
    expect(event).toMatchObject({ action: "staff.sign_in_failed", actorLabel: email, ipAddress: ip });
    expect(changesOf(event!)).toEqual({ reason: "rate_limited" });
    expect(await db.staffSession.count({ where: { userId: guessed.id, createdAt: { gte: startedAt } } })).toBe(0);

    // Each further refused try doubles the wait (the refused try above was the first of them).
    const again = await attempt(email, fixturePassword, ip);
    expect(again.ok === false && again.retryAfterSeconds! > firstDelay * 1.5).toBe(true);
  });

  it("lets the account in from that address once the delay has passed", async () => {
    const ip = "192.0.2.120";
    const pastDelay = new Date(Date.now() - (env.LOGIN_DELAY_BASE_SECONDS + 5) * 1000);
    await db.loginAttempt.createMany({
      data: Array.from({ length: env.LOGIN_MAX_FAILURES_PER_EMAIL }, () => ({ email: returning.email, ipAddress: ip, succeeded: false, attemptedAt: pastDelay })),
    });
    expect((await attempt(returning.email, fixturePassword, ip)).ok).toBe(true);
  });

  it("does not slow down a colleague signing in from the same office", async () => {
    const result = await attempt(personas.auditor.email, fixturePassword, "192.0.2.99");
    expect(result.ok).toBe(true);
  });
});

describe("per-address cap and global ceiling", () => {
  it("refuses every account from an address that has failed too often, and no one else", async () => {
    const ip = "192.0.2.200";
    await db.loginAttempt.createMany({
      data: Array.from({ length: env.LOGIN_MAX_FAILURES_PER_IP }, (_, i) => ({ email: `spray-${i}@attest.test`, ipAddress: ip, succeeded: false })),
    });
    expect(await attempt(sprayed.email, fixturePassword, ip)).toMatchObject({ ok: false, reason: "rate_limited" });
    expect((await attempt(sprayed.email, fixturePassword, "192.0.2.201")).ok).toBe(true);
  });

  it("during a storm of failures, admits only addresses without a recent failure", async () => {
    await db.loginAttempt.createMany({
      data: Array.from({ length: env.LOGIN_GLOBAL_MAX_FAILURES_PER_MINUTE }, (_, i) => ({
        email: `storm-${i}@attest.test`,
        ipAddress: `198.18.${Math.floor(i / 250)}.${i % 250}`,
        succeeded: false,
      })),
    });
    // An address with one failure of its own now waits…
    expect(await attempt(stormed.email, fixturePassword, "198.18.0.1")).toMatchObject({ ok: false, reason: "rate_limited" });
    // …while the person signing in correctly from a clean address is not stopped by strangers.
    expect((await attempt(stormed.email, fixturePassword, "198.18.200.1")).ok).toBe(true);
  });
});

describe("unknown and real accounts cost the same to refuse", () => {
  it("checks an unknown email against a decoy hash with the same argon2id parameters as a real one", async () => {
    const stored = await db.staffUser.findUniqueOrThrow({ where: { email: personas.auditor.email } });
    const parameters = (hash: string) => hash.split("$").slice(1, 4).join("$");
    expect(parameters(decoyPasswordHash)).toBe(parameters(stored.passwordHash));
    expect(parameters(decoyPasswordHash)).toMatch(/^argon2id\$v=19\$m=19456,t=2,p=1$/);
  });

  it("gives the same answer, and the same ledger shape, for an unknown email and a wrong password", async () => {
    const before = await ledgerSize();
    const unknown = await attempt("nobody-here@attest.test", "whatever", "192.0.2.230");
    const wrong = await attempt(personas.dpo.email, "whatever", "192.0.2.231");
    expect(unknown).toEqual(wrong);
    const events = await eventsSince(before);
    expect(events.map((event) => event.action)).toEqual(["staff.sign_in_failed", "staff.sign_in_failed"]);
  });
});
