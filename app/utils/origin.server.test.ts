import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { isSameOriginMutation } from "./origin.server";

// A page on another site must not be able to make a signed-in browser approve, deactivate or erase
// anything here (CSRF). server.ts refuses a mutation before any route runs unless this says yes.

const host = "attest.example:3000";
const check = (method: string, headers: IncomingHttpHeaders, pathname = "/admin/staff/new", trusted = "") =>
  isSameOriginMutation(method, { host, ...headers }, pathname, trusted);

describe("isSameOriginMutation", () => {
  it("lets reads through whatever their origin (links from e-mail or other tools)", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "get"]) {
      expect(check(method, { origin: "https://evil.example" }), method).toBe(true);
    }
  });

  it("accepts a form post from an Attest page, over http or https", () => {
    expect(check("POST", { origin: "http://attest.example:3000" })).toBe(true);
    expect(check("POST", { origin: "https://attest.example:3000" })).toBe(true);
    expect(check("post", { origin: "https://attest.example:3000" })).toBe(true);
  });

  it("falls back to the Referer when a browser sends no Origin", () => {
    expect(check("POST", { referer: "https://attest.example:3000/admin/staff/new?x=1" })).toBe(true);
    expect(check("POST", { referer: "https://evil.example/attest.example:3000" })).toBe(false);
  });

  it.each([
    ["another site", { origin: "https://evil.example" }],
    ["another port on the same host", { origin: "http://attest.example:4000" }],
    ["a sub-domain", { origin: "https://evil.attest.example:3000" }],
    ["an opaque origin (sandboxed iframe)", { origin: "null" }],
    ["no Origin and no Referer", {}],
    ["a trusted Referer contradicted by the Origin", { origin: "https://evil.example", referer: "https://attest.example:3000/" }],
  ])("refuses a mutation from %s", (_label, headers) => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) expect(check(method, headers as IncomingHttpHeaders), method).toBe(false);
  });

  it("refuses a mutation that names no Host", () => {
    expect(isSameOriginMutation("POST", { origin: "http://attest.example:3000" }, "/logout", "")).toBe(false);
  });

  it("accepts configured trusted origins only", () => {
    const trusted = " https://attest.corp.example , not a url ,https://sso.example";
    expect(check("POST", { origin: "https://attest.corp.example" }, "/logout", trusted)).toBe(true);
    expect(check("POST", { origin: "https://sso.example" }, "/logout", trusted)).toBe(true);
    expect(check("POST", { origin: "https://other.example" }, "/logout", trusted)).toBe(false);
  });

  it("exempts token-authenticated API calls but not an API call that also carries the session cookie", () => {
    expect(check("POST", { authorization: "Bearer atk_123" }, "/api/v1/decisions")).toBe(true);
    expect(check("POST", { authorization: "Bearer atk_123", cookie: "__attest_session=abc" }, "/api/v1/decisions")).toBe(false);
    // The exemption is for the API only: a bearer header does not open the staff pages.
    expect(check("POST", { authorization: "Bearer atk_123" }, "/admin/staff/new")).toBe(false);
  });

  it("leaves cookie-less API calls to the API, whatever the case of the scheme or no Authorization at all (issue 13)", () => {
    expect(check("POST", { authorization: "bearer atk_123", origin: "https://evil.example" }, "/api/v1/decisions")).toBe(true);
    expect(check("POST", { authorization: "BEARER atk_123" }, "/api/v1/decisions")).toBe(true);
    // No header: the route answers 401 with WWW-Authenticate, not this check's 403.
    expect(check("POST", {}, "/api/v1/decisions")).toBe(true);
    expect(check("POST", { origin: "https://evil.example", cookie: "__attest_session=abc" }, "/api/v1/decisions")).toBe(false);
  });
});
