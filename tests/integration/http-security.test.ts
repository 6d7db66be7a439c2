import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { db } from "~/utils/db.server";
import { ensureAppBuild, startAppServer, type AppServer } from "../support/app-server";
import { createTestStaff } from "./helpers/actors";
import { http, signInOverHttp } from "./helpers/http";

// The HTTP edge of the production build: headers a browser enforces, the Origin check in front of
// every mutation, the sign-in rate limit as a person sees it, and the TOTP journey with MFA required
// (AUTH_REQUIRE_MFA=true, the production default).

let server: AppServer;

beforeAll(async () => {
  const buildRoot = ensureAppBuild((line) => console.log(`[http] ${line}`));
  server = await startAppServer(inject("databaseUrl"), { name: "http-security", buildRoot, signingKey: inject("signingKey"), env: { AUTH_REQUIRE_MFA: "true" } });
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

describe("security headers", () => {
  it("sends a nonce-based CSP whose nonce every inline script carries", async () => {
    const result = await http(server.origin, "/login");
    expect(result.status).toBe(200);
    const csp = result.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce, `CSP: ${csp}`).toBeTruthy();
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("form-action 'self'");
    const scripts = [...result.body.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    // A new nonce per response, or it protects nothing.
    const again = await http(server.origin, "/login");
    expect(again.headers.get("content-security-policy")).not.toContain(nonce!);
  });

  it("forbids framing and MIME sniffing, hides the stack and sets HSTS", async () => {
    const { headers } = await http(server.origin, "/login");
    expect(headers.get("x-frame-options")).toMatch(/^(DENY|SAMEORIGIN)$/);
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("referrer-policy")).toBe("same-origin");
    expect(headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(headers.get("x-powered-by")).toBeNull();
    expect(headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("issues an HttpOnly, SameSite=Lax, Secure session cookie that carries no personal data", async () => {
    const account = await createTestStaff("auditor", ["SE"], "cookie");
    const result = await http(server.origin, "/login", { method: "POST", form: { email: account.email, password: account.password } });
    expect(result.outcome).toBe("redirect:/");
    const cookie = result.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__attest_session=/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*Path=\//i);
    expect(decodeURIComponent(cookie)).not.toContain(account.email);
  });
});

describe("the Origin check in front of every mutation", () => {
  let cookie: string;
  let account: Awaited<ReturnType<typeof createTestStaff>>;

  beforeAll(async () => {
    account = await createTestStaff("auditor", ["SE"], "csrf-target");
    cookie = await signInOverHttp(server.origin, account.email, account.password);
  });

  it("refuses a signed-in browser's form post coming from another site, before the route runs", async () => {
    const result = await http(server.origin, "/logout", { method: "POST", cookie, origin: "https://evil.example" });
    expect(result.status).toBe(403);
    expect(result.body).toContain("Origin check failed");
    // The session survived: the forged sign-out did nothing.
    expect((await http(server.origin, "/account", { cookie })).status).toBe(200);
  });

  it("refuses a post with neither Origin nor Referer", async () => {
    const result = await http(server.origin, "/region-filter", { method: "POST", cookie, origin: null, form: { region: "SE", redirectTo: "/" } });
    expect(result.status).toBe(403);
    expect(result.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a cross-site sign-in attempt without recording it as one", async () => {
    const before = await db.loginAttempt.count({ where: { email: account.email } });
    const result = await http(server.origin, "/login", { method: "POST", origin: "https://evil.example", form: { email: account.email, password: "guess" } });
    expect(result.status).toBe(403);
    expect(await db.loginAttempt.count({ where: { email: account.email } })).toBe(before);
  });

  it("accepts the same post from the app's own origin", async () => {
    const result = await http(server.origin, "/region-filter", { method: "POST", cookie, form: { region: "SE", redirectTo: "/account" } });
    expect(result.outcome).toBe("redirect:/account");
  });
});

describe("API errors that fit an API, over HTTP (issue 13)", () => {
  async function ingestToken() {
    const { actorFor } = await import("./helpers/actors");
    const { createApiToken } = await import("~/modules/access/api-tokens.server");
    return (await createApiToken(await actorFor("admin"), { name: `http-${Date.now()}`, scopes: ["decisions:write"], regions: ["SE"] })).secret;
  }

  it("answers an API call without Authorization, even from another origin, with 401 and WWW-Authenticate, not the Origin 403", async () => {
    for (const origin of [null, "https://evil.example"]) {
      const result = await http(server.origin, "/api/v1/decisions", { method: "POST", origin, headers: { "Content-Type": "application/x-ndjson" } });
      expect(result.status).toBe(401);
      expect(result.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      expect(result.headers.get("content-type")).toContain("application/json");
      expect(JSON.parse(result.body)).toMatchObject({ error: expect.stringContaining("Authorization") });
    }
  });

  it("still refuses a cookie-carrying API mutation from another origin", async () => {
    const account = await createTestStaff("auditor", ["SE"], "api-cookie");
    const cookie = await signInOverHttp(server.origin, account.email, account.password);
    const result = await http(server.origin, "/api/v1/decisions", { method: "POST", cookie, origin: "https://evil.example" });
    expect(result.status).toBe(403);
  });

  it("delivers the 413 of an over-limit chunked body before the connection closes", async () => {
    const token = await ingestToken();
    const { request } = await import("node:http");
    const url = new URL("/api/v1/decisions", server.origin);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked" } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (part: string) => (body += part));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let written = 0;
      const pump = () => {
        while (written < 10 * 1024 * 1024) {
          written += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error).toMatch(/exceeds/);
  });

  it("marks .data responses no-store, like the pages", async () => {
    const account = await createTestStaff("auditor", ["SE"], "data-cache");
    const cookie = await signInOverHttp(server.origin, account.email, account.password);
    const result = await http(server.origin, "/account.data", { cookie });
    expect(result.status).toBe(200);
    expect(result.headers.get("cache-control")).toBe("no-store");
  });
});

describe("the sign-in rate limit, as a person sees it", () => {
  it("pauses sign-in for the account from this address after five wrong passwords, even with the right one", async () => {
    const account = await createTestStaff("auditor", ["SE"], "guessed-over-http");
    for (let i = 0; i < 5; i++) {
      const wrong = await http(server.origin, "/login", { method: "POST", form: { email: account.email, password: `wrong-${i}` } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain("The email or password is not correct");
    }
    const limited = await http(server.origin, "/login", { method: "POST", form: { email: account.email, password: account.password } });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatch(/Too many failed sign-in attempts from this network\. For your security, try again in \d+ (seconds?|minutes?)/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("set-cookie")).toBeNull();
  });
});

describe("two-step verification in the browser flow (MFA required)", () => {
  it("takes an administrator from password to TOTP enrolment to their home", async () => {
    const admin = await createTestStaff("admin", [], "mfa-admin");
    const signedIn = await http(server.origin, "/login", { method: "POST", form: { email: admin.email, password: admin.password } });
    expect(signedIn.outcome).toBe("redirect:/login/mfa");
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;

    // Nothing else opens before the second factor.
    expect((await http(server.origin, "/admin/staff", { cookie })).outcome).toBe("redirect:/login/mfa");

    const enrolment = await http(server.origin, "/login/mfa", { cookie });
    expect(enrolment.status).toBe(200);
    expect(enrolment.body).toContain("Set up two-step verification");
    const secret = /data-testid="totp-secret"[^>]*>([A-Z2-7]{32})</.exec(enrolment.body)?.[1];
    expect(secret, "the enrolment page shows the key to type into an authenticator app").toBeTruthy();

    const code = new TOTP({ algorithm: "SHA1", digits: 6, period: 30, secret: Secret.fromBase32(secret!) }).generate();
    const confirmed = await http(server.origin, "/login/mfa", { method: "POST", cookie, form: { secret: secret!, code } });
    expect(confirmed.outcome).toBe("redirect:/");
    const home = await http(server.origin, "/", { cookie });
    expect(home.status).toBe(200);
    expect(home.body).toContain("active staff accounts");
  });
});
